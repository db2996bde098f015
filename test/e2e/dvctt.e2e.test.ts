import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../api/auth.js';
import type { DvcttView } from '../../workflows/dvctt.definitions.js';
import { publishDecision } from '../../db/queries/tthc.js';
import { fullContent, tthcTestCode } from '../fixtures/tthc-content.js';
import { startE2e, type E2eStack } from '../support/e2e.js';
import { uniqueId } from '../support/env.js';

const btp: Actor = { userId: 'officer-btp', role: 'agency', agency: 'BTP' };
const bca: Actor = { userId: 'officer-bca', role: 'agency', agency: 'BCA' };
const vpcp: Actor = { userId: 'vpcp-reviewer', role: 'vpcp', agency: 'VPCP' };
const portal: Actor = { userId: 'portal', role: 'portal' };

describe('DVCTT over HTTP: API → Temporal dev server → worker → PostgreSQL', () => {
  let stack: E2eStack;
  // Art 27.1, 28.1: services are declared for a TTHC BTP published (its publication transaction, as the decision workflow runs it).
  const tthcCode = tthcTestCode('1');
  beforeAll(async () => {
    stack = await startE2e({ workflowsPath: new URL('../../workflows/dvctt.workflow.ts', import.meta.url) });
    const decisionId = uniqueId('BTP.e2e');
    await publishDecision(stack.database.db, {
      decisionId, workflowId: `wf-${decisionId}`, agency: 'BTP', agencyKind: 'ministry', items: [{ kind: 'new', code: tthcCode, content: fullContent('Cấp phiếu lý lịch tư pháp') }],
      signedOn: '2026-01-05', effectiveOn: '2026-03-01',
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const call = <T = DvcttView>(method: string, path: string, actor?: Actor, body?: unknown) => stack.call<T>(method, `/v1/dvctt${path}`, actor, body);

  async function declare(): Promise<string> {
    const code = uniqueId('DVC-BTP');
    const res = await call('POST', '/services', btp, { code, name: 'Cấp phiếu lý lịch tư pháp', tthcCode, agency: 'BTP', level: 4 });
    expect(res.status).toBe(201);
    return code;
  }

  it('Art 27–28: a declared service goes live through the loop over HTTP, is suspended (no new dossiers) and resumed', async () => {
    const code = await declare();
    const before = await call('GET', `/services/${code}`, btp);
    expect(before.body).toMatchObject({ status: 'declared', rounds: [], allowedActions: [{ action: 'propose', by: 'BTP' }] });

    expect((await call('POST', `/services/${code}/propose`, btp, {})).body.status).toBe('proposed');
    const rejected = await call('POST', `/services/${code}/review`, vpcp, { decision: 'reject', reasons: 'Thiếu biểu mẫu / form missing' });
    expect(rejected.body).toMatchObject({ status: 'returned', currentRound: 1 });
    expect((await call('POST', `/services/${code}/propose`, btp, { note: 'Đã bổ sung / fixed' })).body.currentRound).toBe(2);
    expect((await call('POST', `/services/${code}/review`, vpcp, { decision: 'approve' })).body.status).toBe('published-for-testing');
    const noCodes = await call('POST', `/services/${code}/test-report`, btp, { tthcName: 'Cấp phiếu LLTP', serviceName: 'Cấp phiếu LLTP trực tuyến', dossierCodes: [] });
    expect(noCodes.status).toBe(400);
    const reported = await call('POST', `/services/${code}/test-report`, btp, { tthcName: 'Cấp phiếu LLTP', serviceName: 'Cấp phiếu LLTP trực tuyến', dossierCodes: ['H01-0001', 'H01-0002'] });
    expect(reported.body.status).toBe('test-reported');
    const live = await call('POST', `/services/${code}/confirm`, vpcp, { result: 'pass' });
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ status: 'live', acceptsNewDossiers: true });

    const detail = await call('GET', `/services/${code}`, vpcp);
    expect(detail.body.rounds.map((r) => [r.round, r.outcome])).toEqual([[1, 'rejected'], [2, 'passed']]);
    expect(detail.body.rounds[1]?.clocks.map((c) => [c.key, c.owner, c.outcome])).toEqual(expect.arrayContaining([
      ['review#2', 'VPCP', 'met'], ['test#2', 'BTP', 'met'], ['confirm#2', 'VPCP', 'met'],
    ]));
    expect(detail.body.rounds[1]?.clocks[0]?.explanation).toContain('working day');

    const rounds = await call<{ items: { round: number; outcome: string }[] }>('GET', `/services/${code}/rounds`, btp);
    expect(rounds.body.items.map((r) => [r.round, r.outcome])).toEqual([[1, 'rejected'], [2, 'passed']]);
    const perService = await call<{ items: { code: string; rounds: number; rejected: number; passed: number }[] }>('GET', '/reports/rounds?agency=BTP', vpcp);
    expect(perService.body.items.find((s) => s.code === code)).toMatchObject({ rounds: 2, rejected: 1, passed: 1 });

    const breaches = await call('GET', `/reports/breaches?serviceCode=${code}`, vpcp);
    expect(breaches.body).toEqual({ byOwner: [], items: [], total: 0, totalEstimated: false, page: 1, pageSize: 50, nextCursor: null });

    expect((await call('GET', `/services/${code}/availability`, portal)).body).toMatchObject({ status: 'live', acceptsNewDossiers: true });
    await call('POST', `/services/${code}/suspend`, vpcp, { reasons: 'Nhiều phản ánh lỗi / many complaints' });
    expect((await call('GET', `/services/${code}/availability`, portal)).body).toMatchObject({ status: 'suspended', acceptsNewDossiers: false });
    const stuck = await call<{ items: { code: string }[] }>('GET', '/services?status=suspended&minDaysInStatus=0', vpcp);
    expect(stuck.body.items.map((s) => s.code)).toContain(code);
    expect((await call('POST', `/services/${code}/resume`, vpcp, {})).status).toBe(409);
    await call('POST', `/services/${code}/fix`, btp, { note: 'Đã sửa lỗi thanh toán / payment fixed' });
    expect((await call('POST', `/services/${code}/resume`, vpcp, {})).body.status).toBe('live');
    expect((await call('GET', `/services/${code}/availability`, portal)).body.acceptsNewDossiers).toBe(true);
  });

  it('Art 27.3: an agency cannot act for VPCP, nor for another agency — 403 and nothing changed', async () => {
    const code = await declare();
    expect((await call('POST', `/services/${code}/propose`, bca, {})).status).toBe(403);
    expect((await call('GET', `/services/${code}`, btp)).body.status).toBe('declared');
    await call('POST', `/services/${code}/propose`, btp, {});

    const selfReview = await call<{ type: string }>('POST', `/services/${code}/review`, btp, { decision: 'approve' });
    expect(selfReview.status).toBe(403);
    expect(selfReview.body.type).toBe('urn:dvcqg:problem:wrong-role');
    const otherAgency = await call<{ type: string }>('POST', `/services/${code}/withdraw`, bca, { reasons: 'không phải của tôi' });
    expect(otherAgency.status).toBe(403);
    expect(otherAgency.body.type).toBe('urn:dvcqg:problem:wrong-scope');
    expect((await call('GET', `/services/${code}`, bca)).status).toBe(403);
    expect((await call('POST', `/services/${code}/propose`, vpcp, {})).status).toBe(403);
    expect((await call('POST', `/services/${code}/review`, undefined, { decision: 'approve' })).status).toBe(401);

    const after = await call('GET', `/services/${code}`, vpcp);
    expect(after.body.status).toBe('proposed');
    expect(after.body.actions.map((a) => [a.action, a.actor.userId])).toEqual([['propose', 'officer-btp']]);
    // A refused transition (validator) is a 409 with the reason, also not recorded.
    const early = await call<{ detail: string }>('POST', `/services/${code}/confirm`, vpcp, { result: 'pass' });
    expect(early.status).toBe(409);
    expect(early.body.detail).toContain('no test report');
    expect((await call('GET', `/services/${code}`, vpcp)).body.actions).toHaveLength(1);
  });
});
