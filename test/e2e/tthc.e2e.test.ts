import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../api/auth.js';
import { fullContent, tthcTestCode } from '../fixtures/tthc-content.js';
import { startE2e, type E2eStack } from '../support/e2e.js';
import { eventually, uniqueId } from '../support/env.js';

describe('P1 end to end: HTTP → Temporal dev server → worker → PostgreSQL catalogue → public HTTP reads', () => {
  let stack: E2eStack;
  const btp: Actor = { userId: uniqueId('btp-officer'), role: 'agency', agency: 'BTP' };
  const vpcp: Actor = { userId: uniqueId('vpcp-officer'), role: 'vpcp', agency: 'VPCP' };

  beforeAll(async () => {
    stack = await startE2e();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted field by field
  const http = (method: string, path: string, actor?: Actor, body?: object) => stack.call<Record<string, any>>(method, path, actor, body);

  it('Art 16.3–16.5: an agency enters, checks and publishes a decision; the TTHC and a VPCP review are publicly readable', async () => {
    const today = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
    const created = await http('POST', '/v1/tthc/decisions', btp, {
      agency: 'BTP', number: `${uniqueId('e2e')}/QĐ-BTP`, title: 'Quyết định công bố TTHC lĩnh vực hộ tịch',
      authorityKind: 'minister', signedOn: today, legalEffectiveOn: '2099-01-01',
    });
    expect(created.status).toBe(201);
    const id = created.body.decisionId as string;
    await eventually(() => http('GET', `/v1/tthc/decisions/${id}`, btp), (r) => r.status === 200 && r.body.issueTiming?.late === false);
    const code = tthcTestCode('E2E');
    expect((await http('POST', `/v1/tthc/decisions/${id}/items`, btp, { items: [{ kind: 'new', code, content: fullContent('Đăng ký khai tử') }] })).status).toBe(200);
    expect((await http('POST', `/v1/tthc/decisions/${id}/check`, btp)).body).toEqual({ gaps: [], stage: 'checked' });
    const published = await http('POST', `/v1/tthc/decisions/${id}/publish`, btp);
    expect(published.status).toBe(200);
    expect(published.body.versions).toEqual([{ code, version: 1, kind: 'new' }]);

    const procedure = await http('GET', `/v1/tthc/procedures/${code}`);
    expect(procedure.body.procedure).toMatchObject({ status: 'published', name: 'Đăng ký khai tử' });
    const decisionView = await http('GET', `/v1/tthc/decisions/${id}`, vpcp);
    expect(decisionView.body).toMatchObject({ stage: 'published', clocks: [{ key: 'publish', outcome: 'met', owner: 'BTP' }] });

    const review = await http('POST', '/v1/tthc/reviews', vpcp, { code, findings: [{ criterion: 'completeness', component: 'components.dossier', detail: 'Thiếu mẫu tờ khai' }] });
    expect(review.status).toBe(201);
    const listed = await eventually(() => http('GET', `/v1/tthc/reviews?code=${code}`), (r) => r.body.items?.length === 1);
    expect(listed.body).toMatchObject({ total: 1, page: 1, pageSize: 50 });
    expect(listed.body.items[0]).toMatchObject({ agency: 'BTP', stage: 'awaiting-fix', findings: [{ criterion: 'completeness' }] });
  });

  const today = () => new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
  /** Enters, checks and publishes a BTP decision over HTTP; answers its id. */
  async function publishDecision(items: object[], extra: { legalEffectiveOn?: string; signer?: string } = {}): Promise<string> {
    const created = await http('POST', '/v1/tthc/decisions', btp, {
      agency: 'BTP', number: `${uniqueId('e2e')}/QĐ-BTP`, title: 'Quyết định công bố TTHC', authorityKind: 'minister', signedOn: today(), legalEffectiveOn: today(), ...extra,
    });
    expect(created.status).toBe(201);
    const id = created.body.decisionId as string;
    await eventually(() => http('GET', `/v1/tthc/decisions/${id}`, btp), (r) => r.status === 200 && r.body.issueTiming !== undefined);
    expect((await http('POST', `/v1/tthc/decisions/${id}/items`, btp, { items })).status).toBe(200);
    expect((await http('POST', `/v1/tthc/decisions/${id}/check`, btp)).body).toEqual({ gaps: [], stage: 'checked' });
    expect((await http('POST', `/v1/tthc/decisions/${id}/publish`, btp)).status).toBe(200);
    return id;
  }

  it('Art 16.5, 27.1, 28.1, 19: the decision is public; a live online service of its TTHC is suspended with the reason once a repeal takes effect; the register keeps it', async () => {
    const code = tthcTestCode('E2E');
    const decision = await publishDecision([{ kind: 'new', code, content: fullContent('Đăng ký giám hộ') }], { signer: 'Thứ trưởng Trần Văn B' });
    const open = await http('GET', `/v1/tthc/published-decisions/${decision}`);
    expect(open.body).toMatchObject({ id: decision, signer: 'Thứ trưởng Trần Văn B', signedOn: today(), effectiveOn: today(), versions: [{ code, version: 1, kind: 'new' }] });

    // Art 27.1: another agency cannot declare a service for BTP's TTHC.
    const bca: Actor = { userId: uniqueId('bca-officer'), role: 'agency', agency: 'BCA' };
    const foreign = await http('POST', '/v1/dvctt/services', bca, { code: uniqueId('DVC'), name: 'Đăng ký giám hộ', tthcCode: code, agency: 'BCA', level: 4 });
    expect(foreign.status).toBe(422);
    const service = uniqueId('DVC');
    expect((await http('POST', '/v1/dvctt/services', btp, { code: service, name: 'Đăng ký giám hộ trực tuyến', tthcCode: code, agency: 'BTP', level: 4 })).status).toBe(201);
    const act = (path: string, actor: Actor, body: object = {}) => http('POST', `/v1/dvctt/services/${service}/${path}`, actor, body);
    expect((await act('propose', btp)).status).toBe(200);
    expect((await act('review', vpcp, { decision: 'approve' })).status).toBe(200);
    expect((await act('test-report', btp, { tthcName: 'Đăng ký giám hộ', serviceName: 'Đăng ký giám hộ trực tuyến', dossierCodes: ['H01-E2E-1'] })).status).toBe(200);
    expect((await act('confirm', vpcp, { result: 'pass' })).body.status).toBe('live');

    // A repeal in force today: the decision's workflow marks the service and signals its case.
    const repeal = await publishDecision([{ kind: 'repealed', code }]);
    const availability = await eventually(() => http('GET', `/v1/dvctt/services/${service}/availability`, vpcp), (r) => r.body.status === 'suspended', 30_000);
    expect(availability.body).toMatchObject({ acceptsNewDossiers: false, reason: expect.stringContaining(`TTHC ${code} was repealed by decision`) });
    const listed = await http('GET', `/v1/dvctt/services?tthcCode=${code}`, vpcp);
    expect(listed.body.items).toEqual([expect.objectContaining({ code: service, status: 'suspended', tthcRepeal: expect.objectContaining({ decisionId: repeal, tthcCode: code }) })]);
    const versions = (await http('GET', `/v1/tthc/procedures/${code}`)).body.versions;
    expect(versions[0]).toMatchObject({ status: 'repealed', decision: { id: decision }, closedBy: { id: repeal } });
  });
});
