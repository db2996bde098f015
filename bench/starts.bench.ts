/**
 * Start throughput side by side on one Temporal dev server (issue 18.1): what the API costs over
 * a bare workflow start and over a direct client start of the same workflow.
 *
 * - bare: `client.workflow.start` of a no-op type on a task queue nobody polls (the server's cost alone);
 * - direct: `client.workflow.start` of `paymentWorkflow` / `feedbackWorkflow` with the input the API
 *   would pass, the worker running them;
 * - API: POST /v1/payments and POST /v1/feedback on 127.0.0.1 (authentication, permission, validation,
 *   reference checks, business-key claim, start, and for payments the wait for the first projection
 *   write — read your writes).
 *
 * Each is run closed-loop at saturation (CONCURRENCY clients), then open-loop at half the rate it
 * reached there (p50/p99 latency). Between runs the worker's backlog is drained, so each run starts
 * from a quiet worker. API, worker and load generator share this process (as in payment.bench.ts).
 * STARTS_BENCH_COUNT / _CONCURRENCY override the load; STARTS_BENCH_ONLY=API (a part of the names)
 * runs only the matching ways (and the bare starts), e.g. under `node --cpu-prof`.
 */
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Client, Connection, WorkflowIdReusePolicy } from '@temporalio/client';
import { count, eq, like } from 'drizzle-orm';
import { buildApp } from '../api/app.js';
import { mintToken } from '../api/auth.js';
import { loadConfig } from '../config/index.js';
import { payments, slaClocks } from '../db/schema/index.js';
import { createLogger } from '../runtime/logger.js';
import { createWorker } from '../runtime/worker.js';
import { dataConverterFor } from '../codec/encryption.js';
import { agencyKey, processKey, stageKey } from '../workflows/search-attributes.js';
import { PAYMENT_PROCESS, paymentWorkflowId } from '../workflows/payment.definitions.js';
import { feedbackWorkflowId } from '../workflows/feedback.definitions.js';
import { benchDatabase, benchTemporal, percentile, report } from './support.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

const COUNT = Math.min(Number(process.env.STARTS_BENCH_COUNT ?? 300), 5_000);
const CONCURRENCY = Math.min(Number(process.env.STARTS_BENCH_CONCURRENCY ?? 16), 64);
const TARGET = { apiOverBare: 0.9, apiOverDirect: 0.95, p99HalfMs: 50 };

interface Run { perSecond: number; p50: number; p99: number; failures: number }

/** Closed loop: CONCURRENCY callers, each starting the next as soon as its last one answered. */
async function saturate(n: number, one: (i: number) => Promise<boolean>): Promise<Run> {
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) {
      const i = next++;
      const t = performance.now();
      if (!(await one(i))) failures++;
      latencies.push(performance.now() - t);
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: (n - failures) / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), failures };
}

/** Open loop at `rate` per second: requests leave on schedule whether or not earlier ones answered. */
async function atRate(n: number, rate: number, one: (i: number) => Promise<boolean>): Promise<Run> {
  const latencies: number[] = [];
  let failures = 0;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t = performance.now();
    pending.push(one(i).then((ok) => {
      if (!ok) failures++;
      latencies.push(performance.now() - t);
    }));
  }
  await Promise.all(pending);
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: (n - failures) / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), failures };
}

const load = () => loadavg()[0]!.toFixed(1);
const ratio = (a: number, b: number, target: number) => `${(a / b).toFixed(2)}× (target ≥ ${target}×) ${a / b >= target ? 'MET' : 'NOT MET'}`;

async function main(): Promise<void> {
  const db = await benchDatabase('dvcqg_bench_starts');
  const temporal = await benchTemporal();
  const config = loadConfig(process.env, {
    DATABASE_URL: db.url, TEMPORAL_ADDRESS: temporal.address, TASK_QUEUE: `bench-starts-${Date.now()}`, LOG_LEVEL: 'warn', HOST: '127.0.0.1',
    RATE_LIMIT_PER_TOKEN: Number.MAX_SAFE_INTEGER, PRESSURE_MAX_EVENT_LOOP_DELAY_MS: 0,
  });
  const dataConverter = dataConverterFor(config);
  const { worker, connection } = await createWorker({
    address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TASK_QUEUE, deps: { db: db.db, logger: createLogger('warn') }, dataConverter,
  });
  const running = worker.run();
  const app = await buildApp(config, { db: db.db }, false);
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, dataConverter });
  const rows: Record<string, string | number> = { 'machine load average (1 min) at start': load() };
  try {
    const agencyActor = { userId: 'bench', role: 'agency' as const, agency: 'BTP' };
    const portalActor = { userId: 'portal-bench', role: 'portal' as const };
    const agencyToken = await mintToken({ secret: config.AUTH_JWT_SECRET, issuer: config.AUTH_JWT_ISSUER }, agencyActor);
    const portalToken = await mintToken({ secret: config.AUTH_JWT_SECRET, issuer: config.AUTH_JWT_ISSUER }, portalActor);
    const stamp = `r${Date.now()}`;

    const paymentBody = (ref: string, i: number) => ({
      agency: 'BTP', requestRef: ref, dossierCode: `H01-${i}`, feeTypeCode: 'LEPHI', amount: 50_000 + i,
      beneficiary: { kind: 'treasury' as const, institution: 'KBNN', account: '7111', name: 'KBNN Hà Nội' },
    });
    const feedbackBody = (i: number) => ({
      sender: { name: `Người gửi ${i}`, address: 'Hà Nội', phone: '0912345678', email: `sender${i}@example.vn`, portalAccountId: `acc-${i}` },
      content: `Phản ánh số ${i}: thủ tục chưa được công khai đầy đủ trên Cổng.`,
      agency: 'BTP', category: 'tthc-not-published', channel: 'portal',
    });

    // The five ways to start, each given a run label so ids never collide across runs.
    const bare = (run: string) => async (i: number) => {
      await client.workflow.start('benchNoopWorkflow', { taskQueue: `${config.TASK_QUEUE}-unpolled`, workflowId: `noop-${run}-${i}`, args: [] });
      return true;
    };
    const directPayment = (run: string) => async (i: number) => {
      const body = paymentBody(`${run}-${i}`, i);
      await client.workflow.start('paymentWorkflow', {
        taskQueue: config.TASK_QUEUE, workflowId: paymentWorkflowId(body.agency, body.requestRef), workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        args: [{ ...body, debitReportLimitHours: config.PAYMENT_DEBIT_REPORT_LIMIT_HOURS, actor: agencyActor }],
        typedSearchAttributes: [{ key: agencyKey, value: body.agency }, { key: processKey, value: PAYMENT_PROCESS }, { key: stageKey, value: 'awaitingPayer' }],
      });
      return true;
    };
    const directFeedback = (run: string) => async (i: number) => {
      const body = feedbackBody(i);
      const itemId = createHash('sha256').update(`direct|${run}|${i}`).digest('hex').slice(0, 24);
      await client.workflow.start('feedbackWorkflow', {
        taskQueue: config.TASK_QUEUE, workflowId: feedbackWorkflowId(itemId), workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        args: [{ itemId, submission: body, submittedBy: portalActor, fingerprint: createHash('sha256').update(JSON.stringify(body)).digest('hex') }],
      });
      return true;
    };
    const apiPayment = (run: string) => async (i: number) => {
      const res = await fetch(`${baseUrl}/v1/payments`, {
        method: 'POST', headers: { authorization: `Bearer ${agencyToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(paymentBody(`${run}-${i}`, i)),
      });
      await res.arrayBuffer();
      return res.status === 201;
    };
    const apiFeedback = (run: string) => async (i: number) => {
      const res = await fetch(`${baseUrl}/v1/feedback`, {
        method: 'POST', headers: { authorization: `Bearer ${portalToken}`, 'content-type': 'application/json', 'idempotency-key': `${run}-${i}` },
        body: JSON.stringify(feedbackBody(i)),
      });
      await res.arrayBuffer();
      return res.status === 201;
    };

    // Waits until the worker has run what was started (payments projected, feedback clocks started).
    let feedbackStarted = 0;
    const drain = async (kind: 'bare' | 'payment' | 'feedback', run: string, n: number) => {
      const until = Date.now() + 300_000;
      if (kind === 'feedback') feedbackStarted += n;
      while (kind !== 'bare' && Date.now() < until) {
        const [row] = kind === 'payment'
          ? await db.db.select({ n: count() }).from(payments).where(like(payments.requestRef, `${run}-%`))
          : await db.db.select({ n: count() }).from(slaClocks).where(eq(slaClocks.process, 'feedback'));
        if ((row?.n ?? 0) >= (kind === 'payment' ? n : 2 * feedbackStarted)) break;
        await new Promise((r) => setTimeout(r, 250));
      }
    };

    const modes = [
      { name: 'bare no-op starts (client, unpolled queue)', kind: 'bare' as const, make: bare },
      { name: 'payment: direct client starts', kind: 'payment' as const, make: directPayment },
      { name: 'payment: through the API (POST /v1/payments)', kind: 'payment' as const, make: apiPayment },
      { name: 'feedback: direct client starts', kind: 'feedback' as const, make: directFeedback },
      { name: 'feedback: through the API (POST /v1/feedback)', kind: 'feedback' as const, make: apiFeedback },
    ].filter((mode) => !process.env.STARTS_BENCH_ONLY || mode.name.includes(process.env.STARTS_BENCH_ONLY) || mode.kind === 'bare');
    // Warm-up: JIT, connections, caches, workflow bundle's first runs.
    for (const mode of modes) {
      await saturate(20, mode.make(`${stamp}-warm-${mode.kind}-${modes.indexOf(mode)}`));
      await drain(mode.kind, `${stamp}-warm-${mode.kind}-${modes.indexOf(mode)}`, 20);
    }
    const results = new Map<string, { full: Run; half: Run; sustained: number }>();
    for (const [m, mode] of modes.entries()) {
      const fullRun = `${stamp}-full-${m}`;
      const fullStart = performance.now();
      const full = await saturate(COUNT, mode.make(fullRun));
      await drain(mode.kind, fullRun, COUNT);
      // What the system sustains: started, and the worker has run each case's first steps.
      const sustained = COUNT / ((performance.now() - fullStart) / 1000);
      const halfRun = `${stamp}-half-${m}`;
      const half = await atRate(Math.ceil(COUNT / 2), full.perSecond / 2, mode.make(halfRun));
      await drain(mode.kind, halfRun, Math.ceil(COUNT / 2));
      results.set(mode.name, { full, half, sustained });
      rows[`${mode.name}: starts/s at saturation`] = `${full.perSecond.toFixed(0)}  (p50 ${full.p50.toFixed(0)} ms, p99 ${full.p99.toFixed(0)} ms, failed ${full.failures}; load ${load()})`;
      if (mode.kind !== 'bare') rows[`${mode.name}: sustained (worker ran the first steps)`] = `${sustained.toFixed(0)}/s`;
      rows[`${mode.name}: at half rate (${(full.perSecond / 2).toFixed(0)}/s)`] =
        `p50 ${half.p50.toFixed(1)} ms, p99 ${half.p99.toFixed(1)} ms${mode.name.includes('API') ? ` (target p99 ≤ ${TARGET.p99HalfMs} ms) ${half.p99 <= TARGET.p99HalfMs ? 'MET' : 'NOT MET'}` : ''}, failed ${half.failures}`;
    }
    const rate = (name: string) => results.get(name)?.full.perSecond ?? NaN;
    const bareRate = rate('bare no-op starts (client, unpolled queue)');
    for (const process of ['payment', 'feedback']) {
      const api = rate(`${process}: through the API (POST /v1/${process === 'payment' ? 'payments' : 'feedback'})`);
      rows[`${process}: API / bare starts`] = ratio(api, bareRate, TARGET.apiOverBare);
      rows[`${process}: API / direct starts`] = ratio(api, rate(`${process}: direct client starts`), TARGET.apiOverDirect);
      // A direct start only queues work for the worker; the API's payment 201 waits for its first
      // step (read your writes), so the like-for-like figure compares what both sustain.
      const sustained = (name: string) => results.get(name)?.sustained ?? NaN;
      rows[`${process}: API / direct, sustained (first steps run)`] =
        ratio(sustained(`${process}: through the API (POST /v1/${process === 'payment' ? 'payments' : 'feedback'})`), sustained(`${process}: direct client starts`), TARGET.apiOverDirect);
    }
    rows['machine load average (1 min) at end'] = load();
    report(`workflow starts side by side (${COUNT} per run, ${CONCURRENCY} concurrent at saturation; one dev server, API + worker in this process)`, rows);
  } finally {
    await app.close();
    worker.shutdown();
    await running;
    await connection.close();
    await clientConnection.close();
    await temporal.stop();
    await db.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
