/**
 * Generates the committed replay samples of the P6 process (Portal accounts, Art 13):
 *   npx tsx scripts/generate-account-replay-samples.ts [outDir]     (default test/replay/histories/)
 * It runs on the harness of scripts/replay-samples.ts (its own database `dvcqg_account_samples`, a
 * dev server, a real Worker); each issue is started exactly as POST /v1/accounts/issues does.
 * Cases captured:
 *   accountIssueWorkflow-resolvedOnTime        reported through the Portal; the parties notified, accepted and
 *                                              resolved within the 24 h / 48 h (Art 13.1); completed
 *   accountIssueWorkflow-lateNoticeThenRejected a support-line call typed in 25 hours after it was taken: the
 *                                              24-hour clock is breached at once, the parties are notified late,
 *                                              then accepted and rejected with the reason (Art 13.1); completed
 *   accountInactivityWorkflow-noticesAndLock   the daily sweep (Art 13.2) over accounts due for a first notice,
 *                                              a second notice and the lock, two per batch; completed
 * Clocks run in real time (the dev server does not skip time): the late case backdates its receipt.
 */
import { createHash, randomUUID } from 'node:crypto';
import { WorkflowIdReusePolicy, type WorkflowHandle } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import type { ActorRef } from '../workflows/actors.js';
import { ingestActivityBatch } from '../db/queries/account.js';
import {
  acceptAccountUpdate,
  accountIssueStateQuery,
  accountIssueWorkflowId,
  INACTIVITY_RULES,
  notifyPartiesAccountUpdate,
  resolveAccountUpdate,
  type AccountIssueOutcome,
  type AccountIssueSubmission,
  type AccountIssueWorkflowInput,
  type InactivitySweepTotals,
} from '../workflows/account.definitions.js';
import { ensure, portal, runSampleGenerator, until, type Sample, type SampleContext } from './replay-samples.js';

const vpcp: ActorRef = { userId: 'sample-vpcp-operator', role: 'vpcp', agency: 'VPCP' };

runSampleGenerator({
  name: 'account-replay-samples',
  database: 'dvcqg_account_samples',
  cases: async (ctx) => [await resolvedOnTime(ctx), await lateNoticeThenRejected(ctx), await noticesAndLock(ctx)],
});

/** As POST /v1/accounts/issues: the case id and fingerprint derived the way the route derives them. */
async function report({ client, taskQueue }: SampleContext, key: string, submission: AccountIssueSubmission, by: ActorRef, receivedAt?: string): Promise<WorkflowHandle> {
  const caseId = createHash('sha256').update(`${by.role}|account|${key}`).digest('hex').slice(0, 24);
  const body = { ...submission, ...(receivedAt ? { receivedAt } : {}) };
  const input: AccountIssueWorkflowInput = {
    caseId, submission, submittedBy: by, fingerprint: createHash('sha256').update(JSON.stringify(body)).digest('hex'), ...(receivedAt ? { receivedAt } : {}),
  };
  const handle = await client.workflow.start('accountIssueWorkflow', {
    taskQueue, workflowId: accountIssueWorkflowId(caseId), args: [input], workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  });
  await until(async () => (await handle.query(accountIssueStateQuery)).clocks.length === 1, `${handle.workflowId} received`);
  return handle;
}

async function handleToEnd(handle: WorkflowHandle, outcome: 'resolved' | 'rejected', result: string): Promise<void> {
  ensure((await handle.executeUpdate(notifyPartiesAccountUpdate, { args: [{ actor: vpcp, parties: ['BCA', 'VNPOST'], message: 'Đề nghị xác minh thông tin định danh của tài khoản.' }] })).status, 'parties-notified', 'parties notified');
  ensure((await handle.executeUpdate(acceptAccountUpdate, { args: [{ actor: vpcp }] })).status, 'accepted', 'accepted');
  ensure((await handle.executeUpdate(resolveAccountUpdate, { args: [{ actor: vpcp, outcome, result }] })).status, outcome, 'resolved');
  ensure(((await handle.result()) as AccountIssueOutcome).status, outcome, 'outcome');
}

async function resolvedOnTime(ctx: SampleContext): Promise<Sample> {
  const handle = await report(ctx, 'sample-account-1', {
    accountId: 'sample-account-001', kind: 'wrong-identity-data', channel: 'portal',
    owner: { name: 'Nguyễn Văn An', phone: '0912345678', email: 'an.nguyen@example.vn' }, description: 'Ngày sinh trên tài khoản bị sai so với căn cước.',
  }, portal);
  await handleToEnd(handle, 'resolved', 'Ngày sinh đã được cập nhật theo Cơ sở dữ liệu quốc gia về dân cư.');
  return { name: 'accountIssueWorkflow-resolvedOnTime', handle };
}

async function lateNoticeThenRejected(ctx: SampleContext): Promise<Sample> {
  const receivedAt = new Date(Date.now() - 25 * 3_600_000).toISOString();
  const handle = await report(ctx, 'sample-account-2', {
    accountId: 'sample-account-002', kind: 'complaint', channel: 'support-line',
    owner: { name: 'Trần Thị Bình', phone: '0987654321' }, description: 'Tài khoản bị đăng nhập từ thiết bị lạ.',
  }, vpcp, receivedAt);
  await until(async () => (await handle.query(accountIssueStateQuery)).clocks[0]?.outcome === 'breached', 'notice clock breached');
  await handleToEnd(handle, 'rejected', 'Không phát hiện đăng nhập bất thường; đề nghị đổi mật khẩu.');
  return { name: 'accountIssueWorkflow-lateNoticeThenRejected', handle };
}

async function noticesAndLock({ client, taskQueue, db }: SampleContext): Promise<Sample> {
  const now = Date.now();
  const day = 86_400_000;
  const at = (days: number) => new Date(now - days * day);
  await ingestActivityBatch(db, {
    batchId: 'sample-batch-1', contentSha256: 'sample', events: 6,
    latest: new Map([['sample-idle-1', at(740)], ['sample-idle-2', at(735)], ['sample-noticed', at(780)], ['sample-noticed-twice', at(800)], ['sample-active', at(3)]]),
  }, INACTIVITY_RULES.inactiveFor);
  // Two accounts further on: a first notice sent 31 days ago, a second one 32 days ago.
  await db.execute(sql`update accounts set notice_stage = 1, last_notice_at = now() - interval '31 days', next_action_at = now() - interval '1 day' where account_id = 'sample-noticed'`);
  await db.execute(sql`update accounts set notice_stage = 2, last_notice_at = now() - interval '32 days', next_action_at = now() - interval '2 days' where account_id = 'sample-noticed-twice'`);
  const handle = await client.workflow.start('accountInactivityWorkflow', { taskQueue, workflowId: `account-inactivity-sample-${randomUUID()}`, args: [{ batchSize: 2 }] });
  const totals = (await handle.result()) as InactivitySweepTotals;
  ensure(`${totals.firstNotices}/${totals.secondNotices}/${totals.locked}`, '2/1/1', 'first notices / second notices / locks');
  return { name: 'accountInactivityWorkflow-noticesAndLock', handle };
}
