import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { eq, inArray, like } from 'drizzle-orm';
import { createActivities } from '../../activities/index.js';
import { recordingIdentityProvider } from '../../activities/account.js';
import type { DatabaseHandle } from '../../db/client.js';
import { findAccount, ingestActivityBatch } from '../../db/queries/account.js';
import { accountIssues, notifications, slaClocks } from '../../db/schema/index.js';
import type { ActorRef } from '../../workflows/actors.js';
import {
  acceptAccountUpdate,
  accountIssueStateQuery,
  accountIssueWorkflowId,
  INACTIVITY_RULES,
  notifyPartiesAccountUpdate,
  resolveAccountUpdate,
  type AccountIssueView,
  type AccountIssueWorkflowInput,
} from '../../workflows/account.definitions.js';
import { eventually, quietBundle, testDatabase, testLogger, timeSkippingEnv, uniqueId } from '../support/env.js';

const vpcp: ActorRef = { userId: 'vpcp-operator', role: 'vpcp', agency: 'VPCP' };
const portal: ActorRef = { userId: 'portal-frontend', role: 'portal' };
const btp: ActorRef = { userId: 'officer-btp', role: 'agency', agency: 'BTP' };
const HOUR = 3_600_000;

async function refusal(update: Promise<unknown>): Promise<{ type?: string; message: string }> {
  const err = await update.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
  return { type: cause.type ?? undefined, message: cause.message };
}

/** `at` plus a PostgreSQL-style calendar interval of months/years (as `INACTIVITY_RULES` counts them). */
function plus(at: Date, { years = 0, months = 0 }: { years?: number; months?: number }): Date {
  const d = new Date(at);
  d.setUTCMonth(d.getUTCMonth() + months + 12 * years);
  return d;
}

describe('Portal accounts, Art 13 (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let database: DatabaseHandle;
  let worker: Worker;
  let running: Promise<void>;
  const identity = recordingIdentityProvider();
  const taskQueue = uniqueId('tq-account');

  beforeAll(async () => {
    const [created, bundle] = await Promise.all([timeSkippingEnv(), quietBundle(new URL('../../workflows/account.workflow.ts', import.meta.url))]);
    env = created;
    database = testDatabase();
    worker = await Worker.create({
      connection: env.nativeConnection, taskQueue, workflowBundle: bundle,
      activities: createActivities({ db: database.db, logger: testLogger(), identityProvider: identity }),
    });
    running = worker.run();
  });
  afterAll(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await env?.teardown();
    await database?.close();
  });

  const now = async () => new Date(await env.currentTimeMs());

  async function report(phone = '0912345678'): Promise<WorkflowHandle> {
    const caseId = uniqueId('acc').replace(/-/g, '').slice(0, 24);
    const input: AccountIssueWorkflowInput = {
      caseId, submittedBy: portal, fingerprint: 'test',
      submission: { accountId: uniqueId('account'), kind: 'wrong-identity-data', channel: 'portal', owner: { name: 'Trần Thị Bình', phone, email: 'binh.tran@example.vn' }, description: 'Ngày sinh trên tài khoản bị sai.' },
    };
    const handle = await env.client.workflow.start('accountIssueWorkflow', { taskQueue, workflowId: accountIssueWorkflowId(caseId), args: [input] });
    await eventually(() => handle.query(accountIssueStateQuery), (v) => v.clocks.length === 1);
    return handle;
  }
  const clock = (view: AccountIssueView, key: string) => view.clocks.find((c) => c.key === key)!;
  async function skipTo(instant: string, extraMinutes: number): Promise<void> {
    const wait = Date.parse(instant) + extraMinutes * 60_000 - (await env.currentTimeMs());
    if (wait > 0) await env.sleep(wait);
  }

  it('Art 13.1: the related parties are notified within 24 hours of receipt, the owner gets the result within 48 hours of formal acceptance — elapsed hours, not working hours', async () => {
    const handle = await report();
    const received = await handle.query(accountIssueStateQuery);
    const notify = clock(received, 'notifyParties');
    expect(notify).toMatchObject({ article: 'Art 13.1', unit: 'hours', amount: 24, owner: 'VPCP', ownerKind: 'vpcp', kind: 'regulated', outcome: 'pending' });
    // Elapsed: exactly 24 hours on, whatever day of the week or holiday that crosses.
    expect(Date.parse(notify.dueAt) - Date.parse(received.receivedAt)).toBe(24 * HOUR);

    await skipTo(received.receivedAt, 20 * 60);
    const notified = await handle.executeUpdate(notifyPartiesAccountUpdate, { args: [{ actor: vpcp, parties: ['BCA', 'VNPOST'], message: 'Đề nghị xác minh ngày sinh của chủ tài khoản.' }] });
    expect(notified.status).toBe('parties-notified');
    expect(clock(notified, 'notifyParties').outcome).toBe('met');

    const accepted = await handle.executeUpdate(acceptAccountUpdate, { args: [{ actor: vpcp }] });
    const result = clock(accepted, 'result');
    expect(result).toMatchObject({ article: 'Art 13.1', unit: 'hours', amount: 48, owner: 'VPCP', outcome: 'pending' });
    expect(Date.parse(result.dueAt) - Date.parse(accepted.acceptedAt!)).toBe(48 * HOUR);

    await skipTo(accepted.acceptedAt!, 47 * 60);
    const resolved = await handle.executeUpdate(resolveAccountUpdate, { args: [{ actor: vpcp, outcome: 'resolved', result: 'Ngày sinh đã được cập nhật theo dữ liệu định danh.' }] });
    expect(resolved.status).toBe('resolved');
    expect(clock(resolved, 'result').outcome).toBe('met');
    await eventually(() => handle.describe(), (d) => d.status.name === 'COMPLETED');

    const { workflowId } = handle;
    const sent = await database.db.select().from(notifications).where(eq(notifications.workflowId, workflowId));
    const keys = sent.map((n) => n.key.slice(workflowId.length + 1)).sort();
    // The owner by SMS and e-mail (receipt, result), each party in its Portal inbox.
    expect(keys).toEqual(['parties:BCA', 'parties:VNPOST', 'receipt:email', 'receipt:sms', 'result:email', 'result:sms']);
    expect(sent.find((n) => n.key.endsWith('parties:BCA'))?.body).not.toContain('Trần Thị Bình');
    const [row] = await database.db.select().from(accountIssues).where(eq(accountIssues.workflowId, workflowId));
    expect(row).toMatchObject({ status: 'resolved', parties: ['BCA', 'VNPOST'] });
    // The projection carries no personal data of the owner.
    expect(JSON.stringify(row)).not.toMatch(/Bình|0912345678|binh\.tran/);
    const projected = await database.db.select().from(slaClocks).where(eq(slaClocks.workflowId, workflowId));
    expect(projected.map((c) => [c.clockKey, c.outcome, c.owner, c.unit]).sort()).toEqual([['notifyParties', 'met', 'VPCP', 'hours'], ['result', 'met', 'VPCP', 'hours']]);
  });

  it('Art 13.1: a notice to the parties after 24 hours and a result after 48 hours are breaches of VPCP, recorded with how late', async () => {
    const handle = await report();
    const received = await handle.query(accountIssueStateQuery);
    await skipTo(received.receivedAt, 25 * 60);
    const breached = await eventually(() => handle.query(accountIssueStateQuery), (v) => clock(v, 'notifyParties').outcome === 'breached');
    expect(clock(breached, 'notifyParties').breachedAt).toBe(clock(breached, 'notifyParties').dueAt);

    const late = await handle.executeUpdate(notifyPartiesAccountUpdate, { args: [{ actor: vpcp, parties: ['BCA'], message: 'Đề nghị phối hợp.' }] });
    expect(clock(late, 'notifyParties')).toMatchObject({ outcome: 'breached', lateByMinutes: expect.any(Number) as number });
    expect(clock(late, 'notifyParties').lateByMinutes).toBeGreaterThanOrEqual(60);

    const accepted = await handle.executeUpdate(acceptAccountUpdate, { args: [{ actor: vpcp }] });
    await skipTo(accepted.acceptedAt!, 49 * 60);
    await eventually(() => handle.query(accountIssueStateQuery), (v) => clock(v, 'result').outcome === 'breached');
    const rejected = await handle.executeUpdate(resolveAccountUpdate, { args: [{ actor: vpcp, outcome: 'rejected', result: 'Thông tin trên tài khoản khớp với Cơ sở dữ liệu quốc gia về dân cư.' }] });
    expect(rejected.status).toBe('rejected');
    expect(clock(rejected, 'result')).toMatchObject({ outcome: 'breached', completedBy: 'VPCP/vpcp-operator' });
    const projected = await eventually(
      () => database.db.select().from(slaClocks).where(eq(slaClocks.workflowId, handle.workflowId)),
      (rows) => rows.length === 2 && rows.every((c) => c.completedAt !== null),
    );
    expect(projected.every((c) => c.outcome === 'breached' && c.owner === 'VPCP' && c.ownerKind === 'vpcp')).toBe(true);
  });

  it('Art 13.1: only the Portal operator acts, in order, with the parties and the result given', async () => {
    const handle = await report();
    expect(await refusal(handle.executeUpdate(notifyPartiesAccountUpdate, { args: [{ actor: btp, parties: ['BCA'], message: 'x' }] }))).toMatchObject({ type: 'Forbidden' });
    expect(await refusal(handle.executeUpdate(acceptAccountUpdate, { args: [{ actor: vpcp }] }))).toMatchObject({ type: 'InvalidTransition' });
    expect(await refusal(handle.executeUpdate(notifyPartiesAccountUpdate, { args: [{ actor: vpcp, parties: [], message: 'x' }] }))).toMatchObject({ type: 'Validation' });
    expect(await refusal(handle.executeUpdate(notifyPartiesAccountUpdate, { args: [{ actor: vpcp, parties: ['bca; drop'], message: 'x' }] }))).toMatchObject({ type: 'Validation' });
    await handle.executeUpdate(notifyPartiesAccountUpdate, { args: [{ actor: vpcp, parties: ['BCA'], message: 'Đề nghị phối hợp.' }] });
    await handle.executeUpdate(acceptAccountUpdate, { args: [{ actor: vpcp }] });
    expect(await refusal(handle.executeUpdate(resolveAccountUpdate, { args: [{ actor: vpcp, outcome: 'resolved', result: '  ' }] }))).toMatchObject({ type: 'Validation' });
    const view = await handle.query(accountIssueStateQuery);
    expect(view).toMatchObject({ status: 'accepted', actionsAllowed: ['resolve'] });
    await handle.executeUpdate(resolveAccountUpdate, { args: [{ actor: vpcp, outcome: 'resolved', result: 'Đã xử lý.' }] });
  });

  // ---- Art 13.2 ----------------------------------------------------------------------------------

  /**
   * One run of the daily sweep at the current workflow time; its effects are read from the
   * database. Not its result: asking for it unlocks time skipping on the test server, which jumps
   * the clock by years (the totals are checked end to end, on the dev server).
   */
  async function sweep(): Promise<void> {
    const handle = await env.client.workflow.start('accountInactivityWorkflow', { taskQueue, workflowId: uniqueId('account-inactivity'), args: [{ batchSize: 50 }] });
    await eventually(() => handle.describe(), (d) => d.status.name === 'COMPLETED');
  }
  async function report2(ids: string[], at: Date): Promise<void> {
    await ingestActivityBatch(database.db, { batchId: uniqueId('batch'), contentSha256: 'x', events: ids.length, latest: new Map(ids.map((id) => [id, at])) }, INACTIVITY_RULES.inactiveFor);
  }
  const noticeKeys = async (id: string) =>
    (await database.db.select({ key: notifications.key }).from(notifications).where(like(notifications.key, `account-inactivity:${id}:%`))).map((r) => r.key.split(':').slice(-2).join(':')).sort();

  it('Art 13.2: two years without activity after the last login → a lock notice by SMS and e-mail, another a month later, and the account is locked after the last notice', async () => {
    const id = uniqueId('idle');
    const fresh = uniqueId('fresh');
    const t0 = await now();
    await report2([id], plus(t0, { years: -2, months: 0 }));
    await report2([fresh], plus(t0, { months: -23 }));
    // A day after the two years: the first notice.
    await env.sleep(24 * HOUR);
    await sweep();
    expect(await noticeKeys(id)).toEqual(['notice1:email', 'notice1:sms']);
    expect(await findAccount(database.db, id)).toMatchObject({ noticeStage: 1 });
    expect(await noticeKeys(fresh)).toEqual([]);
    // A second sweep the same day sends nothing more (one notice a month).
    await sweep();
    expect(await noticeKeys(id)).toEqual(['notice1:email', 'notice1:sms']);

    const afterFirst = (await findAccount(database.db, id))!;
    // A calendar month after the notice (PostgreSQL's '1 month': 28 to 31 days).
    const gapDays = (afterFirst.nextActionAt!.getTime() - afterFirst.lastNoticeAt!.getTime()) / (24 * HOUR);
    expect(gapDays).toBeGreaterThanOrEqual(28);
    expect(gapDays).toBeLessThanOrEqual(31);
    await skipTo(afterFirst.nextActionAt!.toISOString(), 60);
    await sweep();
    expect(await noticeKeys(id)).toEqual(['notice1:email', 'notice1:sms', 'notice2:email', 'notice2:sms']);
    expect(identity.locked).not.toContain(id);

    const afterSecond = (await findAccount(database.db, id))!;
    expect(afterSecond.noticeStage).toBe(2);
    await skipTo(afterSecond.nextActionAt!.toISOString(), 60);
    await sweep();
    expect(identity.locked).toContain(id);
    expect(await findAccount(database.db, id)).toMatchObject({ noticeStage: 3, nextActionAt: null });
    // Two notices only, then the lock: nothing more is sent or locked.
    await env.sleep(40 * 24 * HOUR);
    await sweep();
    expect(await noticeKeys(id)).toHaveLength(4);
    expect(identity.locked.filter((x) => x === id)).toHaveLength(1);
  });

  it('Art 13.2: any activity between the notices cancels the lock, and the two years count again from it', async () => {
    const id = uniqueId('back');
    const t0 = await now();
    await report2([id], plus(t0, { years: -2, months: -1 }));
    await sweep();
    expect(await findAccount(database.db, id)).toMatchObject({ noticeStage: 1 });
    // The owner logs in two weeks later; an older event arriving late changes nothing.
    await env.sleep(14 * 24 * HOUR);
    const login = await now();
    await report2([id], login);
    await report2([id], plus(t0, { years: -1 }));
    const active = (await findAccount(database.db, id))!;
    expect(active).toMatchObject({ noticeStage: 0, lastNoticeAt: null });
    expect(active.lastActivityAt.getTime()).toBe(login.getTime());
    expect(active.nextActionAt!.getTime()).toBe(plus(login, { years: 2 }).getTime());
    await env.sleep(70 * 24 * HOUR);
    await sweep();
    expect(await noticeKeys(id)).toEqual(['notice1:email', 'notice1:sms']);
    expect(identity.locked).not.toContain(id);
    expect(await findAccount(database.db, id)).toMatchObject({ noticeStage: 0 });
    const rows = await database.db.select().from(accountIssues).where(inArray(accountIssues.accountId, [id]));
    expect(rows).toEqual([]);
  });
});
