/**
 * Generates the committed replay samples of the P3 process (citizen feedback, PAKN), modelled on
 * scripts/generate-replay-samples.ts:
 *   npx tsx scripts/generate-feedback-replay-samples.ts [outDir]     (default test/replay/histories/)
 * It provisions its own database (`dvcqg_feedback_samples`, recreated, dropped at the end) and an
 * in-memory Temporal dev server, runs a real Worker with the real activities on a task queue of its
 * own, starts each item exactly as POST /v1/feedback does (same input, fingerprint, reuse policy,
 * actors from the token), drives it through its updates, then writes every run's history as the
 * Temporal CLI prints it (`temporal workflow show --output json`), one file per run after
 * continue-as-new (`-run1.json`, `-run2.json`, …).
 * Cases captured:
 *   feedbackWorkflow-acceptedThenPublished               accepted (Art 42.3d), result entered (Art 44.2),
 *                                                        checked by another officer and published (Art 45); completed
 *   feedbackWorkflow-clarifiedTransferredThenPublished-run{1,2,3}
 *                                                        clarification asked (Art 42.3b), the citizen supplements:
 *                                                        a new round, continued as new; transferred to the competent
 *                                                        agency (Art 42.3c): a new round, continued as new; that agency
 *                                                        accepts, answers, checks and publishes; completed
 * Clocks are started and met in real time (the dev server does not skip time): breach paths are
 * covered by the SLA fixture's samples (slaFixtureWorkflow-breachedThenLate).
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowIdReusePolicy, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { benchDatabase, benchTemporal } from '../bench/support.js';
import { dropDatabase, ensureTemporalCli } from './runtime.js';
import { createLogger } from '../runtime/logger.js';
import { createWorker } from '../runtime/worker.js';
import type { ActorRef } from '../workflows/actors.js';
import {
  classifyFeedbackUpdate,
  feedbackStateQuery,
  feedbackWorkflowId,
  publishFeedbackUpdate,
  resultFeedbackUpdate,
  reviewFeedbackUpdate,
  supplementFeedbackUpdate,
  type FeedbackOutcome,
  type FeedbackSubmission,
  type FeedbackView,
  type FeedbackWorkflowInput,
} from '../workflows/feedback.definitions.js';

const DATABASE = 'dvcqg_feedback_samples';
const NAMESPACE = 'default';
const outDir = process.argv[2] ?? fileURLToPath(new URL('../test/replay/histories/', import.meta.url));

const officer = (agency: string, userId: string): ActorRef => ({ userId, role: 'agency', agency });
const btp = officer('BTP', 'sample-officer-btp');
const btpReviewer = officer('BTP', 'sample-reviewer-btp');
const byt = officer('BYT', 'sample-officer-byt');
const bytReviewer = officer('BYT', 'sample-reviewer-byt');
const portal: ActorRef = { userId: 'sample-portal', role: 'portal' };
const PORTAL_ACCOUNT = 'sample-acc-001';

const submission = (content: string): FeedbackSubmission => ({
  sender: { name: 'Nguyễn Văn An', address: '12 Tràng Tiền, Hà Nội', phone: '0912345678', email: 'an.nguyen@example.vn', portalAccountId: PORTAL_ACCOUNT },
  content, agency: 'BTP', tthcCode: '1.001234', category: 'tthc-not-published', channel: 'portal',
});

interface Sample {
  /** `<workflowType>-<case>` */
  name: string;
  handle: WorkflowHandle;
  /** Runs expected (continue-as-new). */
  runs: number;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const logger = createLogger('warn', { script: 'generate-feedback-replay-samples' });
  const database = await benchDatabase(DATABASE);
  const server = await benchTemporal();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: NAMESPACE });
  const taskQueue = `feedback-replay-samples-${randomUUID()}`;
  const { worker, connection: workerConnection } = await createWorker({ address: server.address, namespace: NAMESPACE, taskQueue, deps: { db: database.db, logger } });
  try {
    await worker.runUntil(async () => {
      const samples: Sample[] = [
        await acceptedSample(client, taskQueue),
        await clarifiedTransferredSample(client, taskQueue),
      ];
      await mkdir(outDir, { recursive: true });
      for (const sample of samples) {
        const description = await sample.handle.describe();
        if (description.status.name !== 'COMPLETED') throw new Error(`${sample.name}: unexpected status ${description.status.name}`);
        const runs = historiesOf(server.address, sample.handle.workflowId, description.runId);
        ensure(runs.length, sample.runs, `${sample.name} runs`);
        for (const [i, history] of runs.entries()) {
          const path = `${outDir}${sample.name}${runs.length === 1 ? '' : `-run${i + 1}`}.json`;
          const json = `${JSON.stringify(history, null, 2)}\n`;
          await writeFile(path, json);
          process.stdout.write(`${path} (${(json.length / 1024).toFixed(0)} KiB)\n`);
        }
      }
    });
  } finally {
    await workerConnection.close();
    await connection.close();
    await database.close();
    await server.stop();
    await dropDatabase(database.url.replace(/\/[^/]*$/, ''), DATABASE);
  }
}

/** As POST /v1/feedback from the Portal: the item id and fingerprint derived the way the route derives them. */
async function submit(client: Client, taskQueue: string, idempotencyKey: string, content: string): Promise<WorkflowHandle> {
  const body = submission(content);
  const itemId = createHash('sha256').update(`${portal.role}||${idempotencyKey}`).digest('hex').slice(0, 24);
  const input: FeedbackWorkflowInput = { itemId, submission: body, submittedBy: portal, fingerprint: createHash('sha256').update(JSON.stringify(body)).digest('hex') };
  const handle = await client.workflow.start('feedbackWorkflow', {
    taskQueue, workflowId: feedbackWorkflowId(itemId), args: [input], workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  });
  await roundOpen(handle, 1);
  return handle;
}

/** The item is in `round` (on the run that started it) with that round's clocks open. */
async function roundOpen(handle: WorkflowHandle, round: number): Promise<FeedbackView> {
  let view: FeedbackView | undefined;
  await until(async () => {
    view = await handle.query(feedbackStateQuery);
    return view.round === round && view.status === 'received' && view.clocks.some((c) => c.key === `classify#${round}` && c.outcome === 'pending');
  }, `${handle.workflowId} round ${round}`);
  return view as FeedbackView;
}

/** Answered by `handler`, checked by `reviewer`, published (Art 44.2, 45). */
async function answerAndPublish(handle: WorkflowHandle, handler: ActorRef, reviewer: ActorRef, answer: string): Promise<void> {
  const accepted = await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: handler, decision: 'accept' }] });
  ensure(accepted.status, 'processing', 'accepted');
  const entered = await handle.executeUpdate(resultFeedbackUpdate, { args: [{ actor: handler, answer, resultObtainedAt: accepted.acceptedAt as string }] });
  ensure(entered.status, 'in-review', 'result entered');
  ensure((await handle.executeUpdate(reviewFeedbackUpdate, { args: [{ actor: reviewer, decision: 'approve' }] })).status, 'approved', 'reviewed');
  const published = await handle.executeUpdate(publishFeedbackUpdate, { args: [{ actor: reviewer }] });
  ensure(published.clocks.find((c) => c.key === `answer#${published.round}`)?.outcome, 'met', 'answer clock');
  ensure(((await handle.result()) as FeedbackOutcome).status, 'published', 'outcome');
}

async function acceptedSample(client: Client, taskQueue: string): Promise<Sample> {
  const handle = await submit(client, taskQueue, 'sample-feedback-1', 'Thủ tục cấp phiếu lý lịch tư pháp trên Cổng chưa cập nhật mức phí mới.');
  await answerAndPublish(handle, btp, btpReviewer, 'Mức phí mới đã được cập nhật trên Cổng từ ngày 01/01. / The new fee is published on the Portal since 1 January.');
  return { name: 'feedbackWorkflow-acceptedThenPublished', handle, runs: 1 };
}

async function clarifiedTransferredSample(client: Client, taskQueue: string): Promise<Sample> {
  const handle = await submit(client, taskQueue, 'sample-feedback-2', 'Thủ tục cấp giấy phép hành nghề khám bệnh, chữa bệnh yêu cầu nhiều giấy tờ trùng lặp.');
  const asked = await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'clarify', reason: 'Đề nghị nêu rõ giấy tờ trùng lặp / please name the duplicated documents' }] });
  ensure(asked.status, 'awaiting-supplement', 'clarification asked');
  await handle.executeUpdate(supplementFeedbackUpdate, { args: [{ actor: portal, portalAccountId: PORTAL_ACCOUNT, content: 'Bản sao văn bằng chuyên môn phải nộp hai lần. / The diploma copy is required twice.' }] });
  await roundOpen(handle, 2);
  await handle.executeUpdate(classifyFeedbackUpdate, { args: [{ actor: btp, decision: 'transfer', toAgency: 'BYT', reason: 'Thuộc thẩm quyền Bộ Y tế / within the Ministry of Health\'s competence' }] });
  ensure((await roundOpen(handle, 3)).agency, 'BYT', 'transferred');
  await answerAndPublish(handle, byt, bytReviewer, 'Bộ Y tế đã bỏ yêu cầu nộp bản sao thứ hai. / The Ministry dropped the second copy.');
  return { name: 'feedbackWorkflow-clarifiedTransferredThenPublished', handle, runs: 3 };
}

interface HistoryJson {
  events: { workflowExecutionStartedEventAttributes?: { continuedExecutionRunId?: string } }[];
}

/** Every run of the case, oldest first, from the latest back through `continuedExecutionRunId`. */
function historiesOf(address: string, workflowId: string, latestRunId: string): HistoryJson[] {
  const cli = ensureTemporalCli();
  const runs: HistoryJson[] = [];
  for (let runId: string | undefined = latestRunId; runId;) {
    const out = execFileSync(cli, ['workflow', 'show', '--address', address, '--namespace', NAMESPACE, '--workflow-id', workflowId, '--run-id', runId, '--output', 'json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const history = JSON.parse(out) as HistoryJson;
    runs.unshift(history);
    runId = history.events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return runs;
}

async function until(ok: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The case went the way its sample name says, or no sample is written. */
function ensure<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) throw new Error(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
