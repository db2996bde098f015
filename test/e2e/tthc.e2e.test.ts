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
});
