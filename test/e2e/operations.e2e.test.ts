import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../api/auth.js';
import { startE2e, type E2eStack } from '../support/e2e.js';
import { eventually, uniqueId } from '../support/env.js';

interface Clock { key: string; outcome: string; owner: string; unit: string; amount: number; article: string; dueAt: string }
interface Problem { type: string; detail: string }

describe('technical operations end to end (Art 50–52): HTTP → Temporal dev server → worker → PostgreSQL', () => {
  let stack: E2eStack;
  const btp: Actor = { userId: 'ops-officer-btp', role: 'agency', agency: 'BTP' };
  const byt: Actor = { userId: 'ops-officer-byt', role: 'agency', agency: 'BYT' };
  const vpcp: Actor = { userId: 'ops-vpcp', role: 'vpcp', agency: 'VPCP' };
  const auditor: Actor = { userId: 'ops-auditor', role: 'auditor' };
  const call = <T>(method: string, path: string, actor?: Actor, body?: unknown, headers?: Record<string, string>) =>
    stack.call<T>(method, `/v1/operations${path}`, actor, body, headers);
  const inFromNow = (ms: number) => new Date(Date.now() + ms).toISOString();

  beforeAll(async () => {
    stack = await startE2e({ workflowsPath: new URL('../fixtures/operations-workflows.ts', import.meta.url) });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('Art 50.2: a change with less than 3 working days\' notice is refused (422, with the reason); an emergency accepted by VPCP takes effect at its instant; the server\'s history keeps every version', async () => {
    const serverId = uniqueId('ssv').slice(0, 40);
    const change = (effectiveAt: string, emergencyReason?: string) => ({
      serverId, address: 'ssv.btp.gov.vn:5500', certificateFingerprint: 'AB:CD:EF:01:23:45:67:89', contact: { name: 'Trần Kỹ Thuật', email: 'ktv@btp.gov.vn' },
      effectiveAt, ...(emergencyReason ? { emergencyReason } : {}),
    });
    const refused = await call<Problem>('POST', '/security-servers/changes', btp, change(inFromNow(3_600_000)), { 'idempotency-key': uniqueId('key') });
    expect(refused.status).toBe(422);
    expect(refused.body.type).toBe('urn:dvcqg:problem:refused');
    expect(refused.body.detail).toMatch(/Art 50\.2.*at least 3 working days/);

    const key = uniqueId('key');
    const body = change(inFromNow(4_000), 'Chứng thư số bị thu hồi.');
    const asked = await call<{ changeId: string; status: string; notice: { sufficient: boolean } }>('POST', '/security-servers/changes', btp, body, { 'idempotency-key': key });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({ status: 'awaiting-emergency-decision', notice: { sufficient: false } });
    const again = await call<{ changeId: string }>('POST', '/security-servers/changes', btp, body, { 'idempotency-key': key });
    expect(again.status).toBe(200);
    expect(again.body.changeId).toBe(asked.body.changeId);
    expect((await call('POST', `/security-servers/changes/${asked.body.changeId}/emergency-decision`, btp, { decision: 'approve', reason: 'x' })).status).toBe(403);
    expect((await call('GET', `/security-servers/changes/${asked.body.changeId}`, byt)).status).toBe(403);
    const approved = await call<{ status: string; emergency: boolean }>('POST', `/security-servers/changes/${asked.body.changeId}/emergency-decision`, vpcp, { decision: 'approve', reason: 'Sự cố an toàn thông tin.' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'scheduled', emergency: true });
    await eventually(async () => (await call<{ status: string }>('GET', `/security-servers/changes/${asked.body.changeId}`, btp)).body, (v) => v.status === 'current');
    const current = await call<{ items: { serverId: string; emergency: boolean }[] }>('GET', '/security-servers', btp);
    expect(current.body.items.find((s) => s.serverId === serverId)).toMatchObject({ emergency: true });
    const history = await call<{ items: { status: string }[] }>('GET', `/security-servers/BTP/${serverId}/history`, auditor);
    expect(history.body.items.map((h) => h.status).sort()).toEqual(['current', 'refused']);
    // The change's timeline: its agency reads it (the audit record of the case), another agency may not.
    const workflowId = `operations-server-${asked.body.changeId}`;
    const timeline = await stack.call<{ agency: string; process: string }>('GET', `/v1/audit/workflows/${workflowId}/timeline`, btp);
    expect(timeline.status).toBe(200);
    expect(timeline.body).toMatchObject({ agency: 'BTP', process: 'operations' });
    expect((await stack.call('GET', `/v1/audit/workflows/${workflowId}/timeline`, byt)).status).toBe(403);
  });

  it('Art 51: a support request runs on VPCP\'s 8 working hours; a complex one gets an announced completion time published to the agency\'s inbox; it shows in supervision', async () => {
    type Request = { requestId: string; workflowId: string; status: string; clocks: Clock[]; actionsAllowed: string[] };
    const filed = await call<Request>('POST', '/support-requests', btp, { kind: 'incident', title: 'Mất đồng bộ hồ sơ', description: 'Hồ sơ không về Cổng.' }, { 'idempotency-key': uniqueId('key') });
    expect(filed.status).toBe(201);
    expect(filed.body.clocks[0]).toMatchObject({ key: 'handle#1', article: 'Art 51', owner: 'VPCP', unit: 'workingHours', amount: 8, outcome: 'pending' });
    const id = filed.body.requestId;
    expect((await call('POST', `/support-requests/${id}/resolve`, btp, { resolution: 'x' })).status).toBe(403);
    // Issue 13.6: each caller is offered the actions it would not be refused, named as their routes.
    expect((await call<Request>('GET', `/support-requests/${id}`, btp)).body.actionsAllowed).toEqual(['notes', 'withdraw']);
    expect((await call<Request>('GET', `/support-requests/${id}`, vpcp)).body.actionsAllowed).toEqual(['announce-completion', 'notes', 'resolve']);
    const dueSoon = await stack.call<{ items: { workflowId: string; clockKey: string }[] }>('GET', '/v1/supervision/due-soon?process=operations&owner=VPCP&pageSize=500', vpcp);
    expect(dueSoon.body.items.some((c) => c.workflowId === filed.body.workflowId)).toBe(true);

    const announced = await call<Request>('POST', `/support-requests/${id}/announce-completion`, vpcp, { amount: 2, unit: 'workingDays', reason: 'Cần thay thiết bị.' });
    expect(announced.status).toBe(200);
    expect(announced.body.status).toBe('scheduled');
    expect(announced.body.clocks.find((c) => c.key === 'completion#1')).toMatchObject({ unit: 'workingDays', amount: 2, owner: 'VPCP' });
    const inbox = await eventually(
      () => stack.call<{ items: { kind: string; caseId: string }[] }>('GET', `/v1/notifications?caseId=${filed.body.workflowId}`, btp),
      (r) => r.body.items.some((n) => n.kind === 'operations.support.completionAnnounced'),
    );
    expect(inbox.status).toBe(200);
    await call('POST', `/support-requests/${id}/notes`, btp, { text: 'Đã nhận thông báo.' });
    const resolved = await call<Request>('POST', `/support-requests/${id}/resolve`, vpcp, { resolution: 'Đã thay thiết bị.' });
    expect(resolved.body.clocks.find((c) => c.key === 'completion#1')?.outcome).toBe('met');
    expect((await call<Request>('POST', `/support-requests/${id}/close`, btp, {})).body.status).toBe('closed');
    const list = await call<{ items: { requestId: string; status: string }[] }>('GET', '/support-requests?status=closed', btp);
    expect(list.body.items.some((r) => r.requestId === id)).toBe(true);
  });

  it('Art 51: maintenance with less than 5 working days\' notice is refused unless it is a flagged emergency with a reason; every agency finds the notice in its inbox', async () => {
    const window = { title: 'Nâng cấp', description: 'Nâng cấp hệ thống.', startsAt: inFromNow(86_400_000), endsAt: inFromNow(86_400_000 + 3_600_000) };
    const refused = await call<Problem>('POST', '/maintenance', vpcp, window, { 'idempotency-key': uniqueId('key') });
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toMatch(/Art 51.*at least 5 working days/);
    expect((await call('POST', '/maintenance', btp, window, { 'idempotency-key': uniqueId('key') })).status).toBe(403);
    const urgent = await call<{ windowId: string; workflowId: string; status: string; emergency: boolean; notified: { step: string; inbox: number }[] }>('POST', '/maintenance', vpcp, { ...window, emergencyReason: 'Vá lỗ hổng bảo mật.' }, { 'idempotency-key': uniqueId('key') });
    expect(urgent.status).toBe(201);
    expect(urgent.body).toMatchObject({ status: 'announced', emergency: true });
    expect(urgent.body.notified[0]?.inbox).toBeGreaterThan(2);
    for (const agency of [btp, byt]) {
      const notices = await stack.call<{ items: { kind: string }[] }>('GET', `/v1/notifications?caseId=${urgent.body.workflowId}`, agency);
      expect(notices.body.items.map((n) => n.kind)).toEqual(['operations.maintenance.announced']);
    }
    const listed = await call<{ items: { windowId: string; emergency: boolean }[] }>('GET', '/maintenance?status=announced', byt);
    expect(listed.body.items.find((w) => w.windowId === urgent.body.windowId)).toMatchObject({ emergency: true });
    expect((await call<{ status: string }>('POST', `/maintenance/${urgent.body.windowId}/cancel`, vpcp, { reason: 'Dời lịch.' })).body.status).toBe('cancelled');
  });

  it('Art 52: a connected system whose real HTTP server stops is alerted after N failed probes and again on recovery; the outage is listed with its duration; only http(s) URLs are accepted', async () => {
    let server: Server = createServer((_req, res) => res.writeHead(200).end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const systemId = uniqueId('sys').slice(0, 40);
    const register = (healthUrl: string) => call<{ status: string; probes: number }>('POST', '/systems', btp, {
      systemId, agency: 'BTP', name: 'Cổng dịch vụ công Bộ Tư pháp', kind: 'ministry-portal', healthUrl,
      admins: [{ name: 'Quản trị', phone: '0912000111', email: 'qt@btp.gov.vn' }], failureThreshold: 2, intervalSeconds: 1, timeoutMs: 500,
    });
    expect((await register('file:///etc/passwd')).status).toBe(400);
    expect((await call('POST', '/systems', byt, { systemId, agency: 'BTP', name: 'x', kind: 'other', healthUrl: 'http://127.0.0.1/', admins: [{ name: 'x' }] })).status).toBe(403);
    const registered = await register(`http://127.0.0.1:${port}/health`);
    expect(registered.status).toBe(201);
    type Monitor = { status: string; outage?: { outageId: string } };
    const monitor = () => call<Monitor>('GET', `/systems/${systemId}`, btp).then((r) => r.body);
    await eventually(monitor, (m) => m.status === 'up');

    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    const down = await eventually(monitor, (m) => m.status === 'down');
    const outageId = down.outage!.outageId;
    const alerts = await eventually(
      () => stack.call<{ items: { kind: string; caseId: string }[] }>('GET', `/v1/notifications?kind=operations.connection.down`, btp),
      (r) => r.body.items.some((n) => n.caseId === `operations-monitor-${systemId}`),
    );
    expect(alerts.status).toBe(200);

    server = createServer((_req, res) => res.writeHead(200).end('ok'));
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    await eventually(monitor, (m) => m.status === 'up' && !m.outage);
    type Outage = { outageId: string; endedAt: string | null; durationSeconds: number; agencyCode: string };
    const outages = await eventually(
      () => call<{ items: Outage[] }>('GET', `/outages?systemId=${systemId}`, vpcp),
      (r) => r.body.items[0]?.endedAt != null,
    );
    await eventually(
      () => stack.call<{ items: { kind: string; caseId: string }[] }>('GET', `/v1/notifications?kind=operations.connection.up`, btp),
      (r) => r.body.items.some((n) => n.caseId === `operations-monitor-${systemId}`),
    );
    expect(outages.body.items).toHaveLength(1);
    expect(outages.body.items[0]).toMatchObject({ outageId, agencyCode: 'BTP' });
    expect(outages.body.items[0]!.durationSeconds).toBeGreaterThanOrEqual(1);
    expect((await call<{ items: unknown[] }>('GET', `/outages?systemId=${systemId}`, byt)).body.items).toHaveLength(0);
    const systems = await call<{ items: { systemId: string; status: string }[] }>('GET', '/systems', btp);
    expect(systems.body.items.find((s) => s.systemId === systemId)?.status).toBe('up');

    expect((await call<{ status: string }>('POST', `/systems/${systemId}/retire`, btp, { reason: 'Thay hệ thống mới.' })).body.status).toBe('retired');
    server.closeAllConnections();
    server.close();
  });
});
