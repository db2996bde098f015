import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, like } from 'drizzle-orm';
import type { Actor } from '../../api/auth.js';
import { accountIssues, auditReads, notifications } from '../../db/schema/index.js';
import { ensureAccountInactivitySchedule } from '../../runtime/schedules.js';
import { ACCOUNT_INACTIVITY_SCHEDULE_ID, type InactivitySweepTotals } from '../../workflows/account.definitions.js';
import { startE2e, type E2eStack } from '../support/e2e.js';
import { eventually, uniqueId } from '../support/env.js';

interface Issue {
  caseId: string;
  workflowId: string;
  status: string;
  receivedAt: string;
  acceptedAt?: string;
  actionsAllowed: string[];
  clocks: { key: string; outcome: string; owner: string; unit: string; amount: number; article: string; startedAt: string; dueAt: string }[];
}

describe('Portal accounts end to end (Art 13): HTTP → Temporal dev server → worker → PostgreSQL', () => {
  let stack: E2eStack;
  const portal: Actor = { userId: 'portal-frontend', role: 'portal' };
  const vpcp: Actor = { userId: 'vpcp-operator', role: 'vpcp', agency: 'VPCP' };
  const btp: Actor = { userId: 'officer-btp', role: 'agency', agency: 'BTP' };
  const auditor: Actor = { userId: 'auditor-1', role: 'auditor' };
  const report = (accountId: string) => ({
    accountId, kind: 'wrong-identity-data', channel: 'portal',
    owner: { name: 'Lê Văn Cường', phone: '0901234567', email: 'cuong@example.vn' },
    description: 'Số định danh cá nhân trên tài khoản bị sai một chữ số.',
  });
  const call = <T = Issue>(method: string, path: string, actor?: Actor, body?: unknown, headers?: Record<string, string>) =>
    stack.call<T>(method, `/v1/accounts${path}`, actor, body, headers);

  beforeAll(async () => {
    stack = await startE2e({ workflowsPath: new URL('../../workflows/account.workflow.ts', import.meta.url) });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('Art 13.1: a report runs from receipt to the owner\'s result over HTTP — retried safely, refused with reasons, supervised, on the timeline', async () => {
    const key = uniqueId('key');
    const accountId = uniqueId('acct');
    const first = await call<{ id: string; replayed: boolean }>('POST', '/issues', portal, report(accountId), { 'idempotency-key': key });
    expect(first.status).toBe(201);
    const again = await call<{ id: string; replayed: boolean }>('POST', '/issues', portal, report(accountId), { 'idempotency-key': key });
    expect(again).toMatchObject({ status: 200, body: { id: first.body.id, replayed: true } });
    const reused = await call('POST', '/issues', portal, { ...report(accountId), description: 'Một nội dung khác, cùng khoá idempotency.' }, { 'idempotency-key': key });
    expect(reused.status).toBe(409);
    expect(reused.headers.get('content-type')).toContain('application/problem+json');
    const noContact = await call('POST', '/issues', portal, { ...report(accountId), owner: { name: 'Lê Văn Cường' } }, { 'idempotency-key': uniqueId('key') });
    expect(noContact.status).toBe(422);

    const id = first.body.id;
    const received = await eventually(async () => (await call('GET', `/issues/${id}`, vpcp)).body, (v) => v.clocks?.length === 1);
    expect(received.clocks[0]).toMatchObject({ key: 'notifyParties', article: 'Art 13.1', unit: 'hours', amount: 24, owner: 'VPCP', outcome: 'pending' });
    expect(Date.parse(received.clocks[0]!.dueAt) - Date.parse(received.receivedAt)).toBe(24 * 3_600_000);
    // Issue 14.5: reading the owner's data is itself recorded in the audit trail.
    const reads = await stack.database.db.select().from(auditReads).where(and(eq(auditReads.workflowId, received.workflowId), eq(auditReads.action, 'personal-data')));
    expect(reads.filter((r) => r.userId === vpcp.userId && r.outcome === 'granted').length).toBeGreaterThan(0);

    expect((await call('POST', `/issues/${id}/notify-parties`, btp, { parties: ['BCA'], message: 'x' })).status).toBe(403);
    expect((await call('POST', `/issues/${id}/accept`, vpcp, {})).status).toBe(409);
    const noParties = await call('POST', `/issues/${id}/notify-parties`, vpcp, { parties: [], message: 'Đề nghị phối hợp.' });
    expect(noParties.status).toBe(400);

    const notifyKey = uniqueId('key');
    const notified = await call('POST', `/issues/${id}/notify-parties`, vpcp, { parties: ['BCA'], message: 'Đề nghị xác minh số định danh.' }, { 'idempotency-key': notifyKey });
    expect(notified.status).toBe(200);
    expect(notified.body.status).toBe('parties-notified');
    const notifiedAgain = await call('POST', `/issues/${id}/notify-parties`, vpcp, { parties: ['BCA'], message: 'Đề nghị xác minh số định danh.' }, { 'idempotency-key': notifyKey });
    expect(notifiedAgain.headers.get('idempotent-replayed')).toBe('true');

    const accepted = await call('POST', `/issues/${id}/accept`, vpcp, {});
    expect(accepted.body.clocks.find((c) => c.key === 'result')).toMatchObject({ unit: 'hours', amount: 48, article: 'Art 13.1', owner: 'VPCP' });
    const dueSoon = await stack.call<{ items: { workflowId: string; clockKey?: string; key?: string }[] }>('GET', '/v1/supervision/due-soon?process=account&pageSize=100', vpcp);
    expect(dueSoon.status).toBe(200);
    expect(dueSoon.body.items.some((c) => c.workflowId === received.workflowId)).toBe(true);

    const resolved = await call('POST', `/issues/${id}/resolve`, vpcp, { outcome: 'resolved', result: 'Số định danh đã được sửa theo Cơ sở dữ liệu quốc gia về dân cư.' });
    expect(resolved.body).toMatchObject({ status: 'resolved', actionsAllowed: [] });
    expect(resolved.body.clocks.every((c) => c.outcome === 'met')).toBe(true);

    const listed = await eventually(
      () => call<{ items: { caseId: string; status: string; slaBreached: boolean }[] }>('GET', `/issues?accountId=${accountId}`, auditor),
      (r) => r.body.items[0]?.status === 'resolved',
    );
    expect(listed.body.items).toEqual([expect.objectContaining({ caseId: id, status: 'resolved', slaBreached: false })]);
    const owner = await stack.database.db.select().from(notifications).where(like(notifications.key, `${received.workflowId}:result:%`));
    expect(owner.map((n) => n.channel).sort()).toEqual(['email', 'sms']);
    const [row] = await stack.database.db.select().from(accountIssues).where(eq(accountIssues.caseId, id));
    expect(JSON.stringify(row)).not.toMatch(/Cường|0901234567|cuong@/);

    const timeline = await eventually(
      () => stack.call<{ process?: string; events?: unknown[] }>('GET', `/v1/audit/workflows/${received.workflowId}/timeline`, auditor),
      (r) => r.status === 200,
    );
    expect(timeline.body.process).toBe('account');
  });

  it('Art 13.1: a support-line call typed in 25 hours late is a breach of VPCP at once, listed in supervision', async () => {
    const receivedAt = new Date(Date.now() - 25 * 3_600_000).toISOString();
    const body = { ...report(uniqueId('acct')), channel: 'support-line', receivedAt };
    expect((await call('POST', '/issues', portal, body, { 'idempotency-key': uniqueId('key') })).status).toBe(422);
    const created = await call<{ id: string; workflowId: string }>('POST', '/issues', vpcp, body, { 'idempotency-key': uniqueId('key') });
    expect(created.status).toBe(201);
    await eventually(async () => (await call('GET', `/issues/${created.body.id}`, vpcp)).body, (v) => v.clocks?.[0]?.outcome === 'breached');
    const breaches = await eventually(
      () => stack.call<{ items: { workflowId: string; owner: string }[] }>('GET', '/v1/supervision/breaches?process=account&pageSize=100', vpcp),
      (r) => r.body.items?.some((c) => c.workflowId === created.body.workflowId),
    );
    expect(breaches.body.items.find((c) => c.workflowId === created.body.workflowId)?.owner).toBe('VPCP');
  });

  it('Art 13.2: the identity system reports activity in batches (idempotent per batch); the daily sweep sends the first lock notice to an account idle for two years', async () => {
    const idle = uniqueId('idle');
    const active = uniqueId('active');
    const now = Date.now();
    const batch = {
      batchId: uniqueId('batch'),
      events: [
        { accountId: idle, at: new Date(now - 740 * 86_400_000).toISOString(), kind: 'login' },
        { accountId: idle, at: new Date(now - 745 * 86_400_000).toISOString(), kind: 'activity' },
        { accountId: active, at: new Date(now - 60_000).toISOString(), kind: 'login' },
      ],
    };
    const first = await call<{ accounts: number; events: number; replayed: boolean }>('POST', '/activity', portal, batch);
    expect(first).toMatchObject({ status: 201, body: { events: 3, accounts: 2, replayed: false } });
    expect((await call<{ replayed: boolean }>('POST', '/activity', portal, batch)).body.replayed).toBe(true);
    const changed = await call('POST', '/activity', portal, { ...batch, events: batch.events.slice(1) });
    expect(changed.status).toBe(409);
    const future = await call('POST', '/activity', portal, { batchId: uniqueId('batch'), events: [{ accountId: active, at: new Date(now + 3_600_000).toISOString(), kind: 'login' }] });
    expect(future.status).toBe(422);
    expect((await call('POST', '/activity', vpcp, { ...batch, batchId: uniqueId('batch') })).status).toBe(403);

    const before = await call<{ stage: string; lastActivityAt: string; nextActionAt: string }>('GET', `/${idle}/inactivity`, vpcp);
    expect(before.body).toMatchObject({ stage: 'active', lastActivityAt: batch.events[0]!.at });
    expect(Date.parse(before.body.nextActionAt)).toBeLessThan(now);

    const sweep = await stack.app.temporal.workflow.start('accountInactivityWorkflow', { taskQueue: stack.config.TASK_QUEUE, workflowId: uniqueId('account-inactivity'), args: [{}] });
    const totals = (await sweep.result()) as InactivitySweepTotals;
    expect(totals.firstNotices).toBeGreaterThanOrEqual(1);
    const after = await call<{ stage: string; lastNoticeAt: string }>('GET', `/${idle}/inactivity`, vpcp);
    expect(after.body.stage).toBe('first-notice-sent');
    expect((await call<{ stage: string }>('GET', `/${active}/inactivity`, vpcp)).body.stage).toBe('active');
    const notices = await stack.database.db.select().from(notifications).where(like(notifications.key, `account-inactivity:${idle}:%`));
    expect(notices.map((n) => n.channel).sort()).toEqual(['email', 'sms']);
    const summary = await call<{ firstNotice: number }>('GET', '/inactivity', auditor);
    expect(summary.body.firstNotice).toBeGreaterThanOrEqual(1);
    expect((await call('GET', '/no-such-account/inactivity', vpcp)).status).toBe(404);
  });

  it('Art 13.2: the worker ensures one daily Schedule for the sweep, at 07:00 UTC+7 (a decent hour for an SMS)', async () => {
    const client = stack.app.temporal;
    expect((await ensureAccountInactivitySchedule(client, stack.config.TASK_QUEUE)).created).toBe(true);
    expect((await ensureAccountInactivitySchedule(client, stack.config.TASK_QUEUE)).created).toBe(false);
    const handle = client.schedule.getHandle(ACCOUNT_INACTIVITY_SCHEDULE_ID);
    try {
      const described = await handle.describe();
      expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'accountInactivityWorkflow' });
      const [first, second] = described.info.nextActionTimes;
      expect(second!.getTime() - first!.getTime()).toBe(86_400_000);
      expect(new Date(first!.getTime() + 7 * 3_600_000).toISOString().slice(11, 16)).toBe('07:00');
    } finally {
      await handle.delete();
    }
  });
});
