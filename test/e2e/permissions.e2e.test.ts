import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../api/auth.js';
import type { Timeline } from '../../domain/audit/timeline.js';
import type { Permission } from '../../domain/permissions/catalogue.js';
import { fullContent, tthcTestCode } from '../fixtures/tthc-content.js';
import { startE2e, type E2eStack } from '../support/e2e.js';
import { eventually, uniqueId } from '../support/env.js';

/**
 * Officer permissions end to end: HTTP → Temporal dev server → worker → PostgreSQL. What an officer
 * may do is what the agency's administrator granted (Art 15.1a, 41.2, 48.2); every action records
 * the permission and grant it was authorized by; `actionsAllowed` is the caller's (issue 13.6).
 */
describe('officer permissions end to end', () => {
  let stack: E2eStack;
  const vpcp: Actor = { userId: uniqueId('vpcp-service'), role: 'vpcp', agency: 'VPCP' };
  const auditor: Actor = { userId: 'auditor-1', role: 'auditor' };
  const portal: Actor = { userId: 'portal-frontend', role: 'portal' };
  const btp = (name: string): Actor => ({ userId: uniqueId(`btp-${name}`), role: 'agency', agency: 'BTP' });
  const admin = btp('admin');

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted field by field
  const http = (method: string, path: string, actor?: Actor, body?: unknown, headers?: Record<string, string>) => stack.call<Record<string, any>>(method, path, actor, body, headers);

  /** The administrator registers `officer` and grants it `permissions`; returns the grant ids. */
  async function staff(officer: Actor, permissions: Permission[]): Promise<Record<string, string>> {
    expect((await http('POST', '/v1/permissions/officers', admin, { agency: 'BTP', officer: officer.userId, name: `Cán bộ ${officer.userId}` })).status).toBe(200);
    const ids: Record<string, string> = {};
    for (const permission of permissions) {
      const res = await http('POST', '/v1/permissions/grants', admin, { agency: 'BTP', officer: officer.userId, permission, reason: 'Phân công theo Quyết định nội bộ' });
      expect(res.status).toBe(201);
      ids[permission] = res.body.id;
    }
    return ids;
  }

  beforeAll(async () => {
    stack = await startE2e();
    // Art 48.1: VPCP (its service account in the test profile) appoints BTP's administrator.
    const appointed = await http('POST', '/v1/permissions/administrators', vpcp, { agency: 'BTP', officer: admin.userId, name: 'Văn phòng Bộ Tư pháp', reason: 'Tài khoản quản trị cấp cao' });
    expect(appointed.status).toBe(201);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('Art 15.1a, 16.5: an officer without tthc.publish cannot publish; the one granted it does, and the case records permission and grant of every action', async () => {
    const clerk = btp('clerk');
    const publisher = btp('publisher');
    const clerkGrants = await staff(clerk, ['tthc.enter']);
    const publisherGrants = await staff(publisher, ['tthc.publish']);

    const today = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
    const created = await http('POST', '/v1/tthc/decisions', clerk, {
      agency: 'BTP', number: `${uniqueId('perm')}/QĐ-BTP`, title: 'Quyết định công bố TTHC lĩnh vực chứng thực',
      authorityKind: 'minister', signedOn: today, legalEffectiveOn: '2099-01-01',
    });
    expect(created.status).toBe(201);
    const id = created.body.decisionId as string;
    await eventually(() => http('GET', `/v1/tthc/decisions/${id}`, clerk), (r) => r.status === 200);
    const code = tthcTestCode('PERM');
    expect((await http('POST', `/v1/tthc/decisions/${id}/items`, clerk, { items: [{ kind: 'new', code, content: fullContent('Chứng thực bản sao điện tử') }] })).status).toBe(200);
    expect((await http('POST', `/v1/tthc/decisions/${id}/check`, clerk)).body).toEqual({ gaps: [], stage: 'checked' });
    // The publisher cannot enter; the clerk cannot publish: 403 naming the permission, nothing changes.
    expect((await http('POST', `/v1/tthc/decisions/${id}/check`, publisher)).body.errors).toEqual([{ path: 'permission', message: 'tthc.enter' }]);
    const refused = await http('POST', `/v1/tthc/decisions/${id}/publish`, clerk);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ type: 'urn:dvcqg:problem:forbidden', errors: [{ path: 'permission', message: 'tthc.publish' }] });
    expect((await http('GET', `/v1/tthc/decisions/${id}`, clerk)).body.stage).toBe('checked');

    const published = await http('POST', `/v1/tthc/decisions/${id}/publish`, publisher);
    expect(published.status).toBe(200);
    // The history carries the actor the API passed: who, by which permission, under which grant.
    const res = await http('GET', `/v1/audit/workflows/${encodeURIComponent(created.body.workflowId)}/timeline`, auditor);
    expect(res.status).toBe(200);
    const entries = (res.body as Timeline).entries;
    expect(entries.find((e) => e.kind === 'case.started')?.actor).toMatchObject({ userId: clerk.userId, permission: 'tthc.enter', grant: clerkGrants['tthc.enter'] });
    const actions = entries.filter((e) => e.kind === 'action' && e.update?.status !== 'failed');
    const byName = (name: string) => actions.find((e) => e.update?.name.includes(name))?.actor;
    expect(byName('ublish')).toMatchObject({ userId: publisher.userId, permission: 'tthc.publish', grant: publisherGrants['tthc.publish'] });
    expect(byName('heck')).toMatchObject({ userId: clerk.userId, permission: 'tthc.enter', grant: clerkGrants['tthc.enter'] });
  });

  it('issue 13.6, Art 27.2–27.3: a DVCTT case lists for each caller only the actions that caller may take, named as the routes', async () => {
    // The agency's service account (an ungranted token, test profile) publishes the TTHC and declares the service.
    const service: Actor = btp('service-account');
    const reporter = btp('reporter');
    await staff(reporter, ['dvctt.report']);
    const today = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
    const decision = (await http('POST', '/v1/tthc/decisions', service, {
      agency: 'BTP', number: `${uniqueId('dvc')}/QĐ-BTP`, title: 'Quyết định công bố TTHC lĩnh vực lý lịch tư pháp', authorityKind: 'minister', signedOn: today, legalEffectiveOn: today,
    })).body.decisionId as string;
    const tthcCode = tthcTestCode('DVC');
    await eventually(() => http('GET', `/v1/tthc/decisions/${decision}`, service), (r) => r.status === 200);
    expect((await http('POST', `/v1/tthc/decisions/${decision}/items`, service, { items: [{ kind: 'new', code: tthcCode, content: fullContent('Cấp phiếu lý lịch tư pháp') }] })).status).toBe(200);
    expect((await http('POST', `/v1/tthc/decisions/${decision}/check`, service)).status).toBe(200);
    expect((await http('POST', `/v1/tthc/decisions/${decision}/publish`, service)).status).toBe(200);
    const code = uniqueId('DVC-BTP');
    expect((await http('POST', '/v1/dvctt/services', service, { code, name: 'Cấp phiếu lý lịch tư pháp', tthcCode, agency: 'BTP', level: 4 })).status).toBe(201);
    const proposed = await http('POST', `/v1/dvctt/services/${code}/propose`, service, {});
    expect(proposed.body).toMatchObject({ status: 'proposed', actionsAllowed: ['withdraw'] });

    const view = async (actor: Actor) => (await http('GET', `/v1/dvctt/services/${code}`, actor)).body;
    expect((await view(vpcp)).actionsAllowed).toEqual(['review']);
    expect((await view(service)).actionsAllowed).toEqual(['withdraw']);
    // The reporter of the same agency holds dvctt.report, not dvctt.propose: nothing to do yet; the auditor never acts.
    expect((await view(reporter)).actionsAllowed).toEqual([]);
    expect((await view(auditor)).actionsAllowed).toEqual([]);
    // Everyone still sees the state-level list: who may do what.
    expect((await view(auditor)).allowedActions).toEqual(expect.arrayContaining([{ action: 'review', by: 'VPCP' }, { action: 'withdraw', by: 'BTP' }]));
    expect((await http('POST', `/v1/dvctt/services/${code}/withdraw`, reporter, { reasons: 'Rút để hoàn thiện' })).status).toBe(403);
  });

  it('issue 13.6: actionsAllowed is computed for the caller (role, agency, permissions) and names the routes', async () => {
    const handler = btp('handler');
    const assistant = btp('assistant');
    await staff(handler, ['feedback.classify', 'feedback.answer']);
    await staff(assistant, ['feedback.answer']);
    const submitted = await http('POST', '/v1/feedback', portal, {
      sender: { name: 'Phạm Thị Dung', address: '3 Tràng Tiền, Hà Nội', phone: '0912345678', email: 'dung@example.vn', portalAccountId: uniqueId('acc') },
      content: 'Đề nghị hướng dẫn rõ thủ tục chứng thực chữ ký người dịch trên Cổng.', agency: 'BTP', category: 'tthc-not-published', channel: 'portal',
    }, { 'idempotency-key': uniqueId('key') });
    expect(submitted.status).toBe(201);
    const id = submitted.body.id as string;
    const view = (actor: Actor) => eventually(() => http('GET', `/v1/feedback/${id}`, actor), (r) => r.status === 200 && r.body.clocks?.length >= 2);

    const [byHandler, byAssistant, byVpcp] = await Promise.all([view(handler), view(assistant), view(vpcp)]);
    expect(byHandler.body.actionsAllowed).toEqual(['classify', 'progress', 'escalate']);
    expect(byAssistant.body.actionsAllowed).toEqual(['progress']);
    expect(byVpcp.body.actionsAllowed).toEqual(['escalate', 'state-secret']);
    // What is listed is what the caller is let through; what is not is refused.
    expect((await http('POST', `/v1/feedback/${id}/classify`, assistant, { decision: 'accept' })).status).toBe(403);
    const accepted = await http('POST', `/v1/feedback/${id}/classify`, handler, { decision: 'accept' });
    expect(accepted.status).toBe(200);
    expect(accepted.body.actionsAllowed).toEqual(['coordinate', 'progress', 'result', 'escalate']);
    expect((await http('GET', `/v1/feedback/${id}`, assistant)).body.actionsAllowed).toEqual(['coordinate', 'progress', 'result']);
  });
});
