/**
 * Start throughput side by side on one Temporal dev server (issue 18.1): what the API costs over
 * a bare workflow start and over a direct client start of the same workflow.
 *
 * - bare: `client.workflow.start` of a no-op type on a task queue nobody polls (the server's cost alone);
 * - direct: `client.workflow.start` of `paymentWorkflow` / `feedbackWorkflow` with the input the API
 *   would pass;
 * - API: POST /v1/payments and POST /v1/feedback on 127.0.0.1 (authentication, permission, validation,
 *   reference checks, business-key claim, start, and for payments the first projection row, which
 *   the API lands itself right after the start — read your writes).
 *
 * Each is run closed-loop at saturation (CONCURRENCY clients), then open-loop at half the rate it
 * reached there (p50/p99 latency), both on a task queue nobody polls (the start path alone, as the
 * bare starts: the API under test is a second instance of the app whose TASK_QUEUE is that queue);
 * then once more at saturation on the worker's queue, until the worker has run each case's first
 * steps (sustained). The worker runs in its own process (`worker.ts`, as `npm start` runs it); so
 * does the HTTP load generator (this file with STARTS_BENCH_LOADGEN=1, driven over IPC), so that this
 * process's CPU is the API's alone — as for the client starts it is the client's alone.
 * CPU per start falls as the rate rises (the Temporal server, the client and the API all amortise
 * their wake-ups over more starts): besides the saturation runs, every way is run once more at one
 * common rate (half the slowest way's saturation), and that run's CPU per start is the like-for-like
 * comparison.
 * STARTS_BENCH_COUNT / _CONCURRENCY override the load; STARTS_BENCH_ONLY=API (a part of the names)
 * runs only the matching ways (and the bare starts), e.g. under `node --cpu-prof`.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Client, Connection, WorkflowIdReusePolicy } from '@temporalio/client';
import { and, count, eq, gte, like } from 'drizzle-orm';
import { buildApp } from '../api/app.js';
import { mintToken } from '../api/auth.js';
import { loadConfig } from '../config/index.js';
import { payments, slaClocks } from '../db/schema/index.js';
import { dataConverterFor } from '../codec/encryption.js';
import { agencyKey, processKey, stageKey } from '../workflows/search-attributes.js';
import { PAYMENT_PROCESS, paymentWorkflowId } from '../workflows/payment.definitions.js';
import { feedbackWorkflowId } from '../workflows/feedback.definitions.js';
import { benchDatabase, benchTemporal, percentile, report } from './support.js';

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

const paymentBody = (ref: string, i: number) => ({
  agency: 'BTP', requestRef: ref, dossierCode: `H01-${i}`, feeTypeCode: 'LEPHI', amount: 50_000 + i,
  beneficiary: { kind: 'treasury' as const, institution: 'KBNN', account: '7111', name: 'KBNN Hà Nội' },
});
const feedbackBody = (i: number) => ({
  sender: { name: `Người gửi ${i}`, address: 'Hà Nội', phone: '0912345678', email: `sender${i}@example.vn`, portalAccountId: `acc-${i}` },
  content: `Phản ánh số ${i}: thủ tục chưa được công khai đầy đủ trên Cổng.`,
  agency: 'BTP', category: 'tthc-not-published', channel: 'portal',
});

/** What the load generator is asked to run: n requests of one kind, closed-loop (saturate) or at a rate. */
interface LoadOrder { kind: 'payment' | 'feedback'; baseUrl: string; token: string; run: string; n: number; rate?: number }
type LoadResult = Run & { callerCpuMs: number };

/** The HTTP load generator's side (STARTS_BENCH_LOADGEN=1): runs each order it is sent and answers with its figures and its own CPU per request. */
function serveLoad(): void {
  process.on('message', (order: LoadOrder) => {
    const one = order.kind === 'payment'
      ? async (i: number) => {
        const res = await fetch(`${order.baseUrl}/v1/payments`, {
          method: 'POST', headers: { authorization: `Bearer ${order.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(paymentBody(`${order.run}-${i}`, i)),
        });
        await res.arrayBuffer();
        return res.status === 201;
      }
      : async (i: number) => {
        const res = await fetch(`${order.baseUrl}/v1/feedback`, {
          method: 'POST', headers: { authorization: `Bearer ${order.token}`, 'content-type': 'application/json', 'idempotency-key': `${order.run}-${i}` },
          body: JSON.stringify(feedbackBody(i)),
        });
        await res.arrayBuffer();
        return res.status === 201;
      };
    const before = process.cpuUsage();
    void (order.rate ? atRate(order.n, order.rate, one) : saturate(order.n, one)).then((run) => {
      const cpu = process.cpuUsage(before);
      process.send!({ ...run, callerCpuMs: (cpu.user + cpu.system) / 1e3 / order.n } satisfies LoadResult);
    });
  });
}

/** The bench's side of the load generator: one order at a time. */
function loadGenerator(child: ChildProcess) {
  return (order: LoadOrder) => new Promise<LoadResult>((resolve, reject) => {
    const exited = () => reject(new Error('the load generator exited'));
    child.once('exit', exited);
    child.once('message', (result: LoadResult) => {
      child.off('exit', exited);
      resolve(result);
    });
    child.send(order);
  });
}

/** CPU seconds a process has used (user + system), from /proc: 0 if it is gone. */
function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/**
 * CPU spent per start, whatever the machine's load: this process (the API and the load generator;
 * for client starts, the client), the Temporal server, and PostgreSQL's backends for this database
 * (for those two, less what they use when idle).
 * Throughput on a shared machine moves with other people's work; CPU per start does not.
 */
interface CpuPerStart { own: number; server: number; postgres: number; caller: number }
async function cpuPerStart<T extends Run & { callerCpuMs?: number }>(n: number, pids: () => Promise<number[]>, run: () => Promise<T>): Promise<T & { cpuMs: CpuPerStart }> {
  const sample = async () => ({ at: performance.now(), own: process.cpuUsage(), others: new Map((await pids()).map((pid) => [pid, cpuSecondsOf(pid)])) });
  const delta = (from: Map<number, number>, pid: number | undefined) => (pid === undefined ? 0 : cpuSecondsOf(pid) - (from.get(pid) ?? 0));
  // What the server and PostgreSQL burn with nothing started (timers, Schedules, pollers): measured
  // for 2 s before the run and taken off, so a slower run is not charged more of it per start.
  const idle = await sample();
  await new Promise((r) => setTimeout(r, 2_000));
  const idleSeconds = (performance.now() - idle.at) / 1000;
  const [serverPid, ...postgresPids] = [...idle.others.keys()];
  const idleRate = { server: delta(idle.others, serverPid) / idleSeconds, postgres: postgresPids.reduce((sum, pid) => sum + delta(idle.others, pid), 0) / idleSeconds };
  const before = await sample();
  const result = await run();
  const seconds = (performance.now() - before.at) / 1000;
  const own = process.cpuUsage(before.own);
  const perStart = (cpuSeconds: number) => (Math.max(0, cpuSeconds) * 1000) / n;
  return {
    ...result,
    cpuMs: {
      own: perStart((own.user + own.system) / 1e6),
      server: perStart(delta(before.others, serverPid) - idleRate.server * seconds),
      postgres: perStart(postgresPids.reduce((sum, pid) => sum + delta(before.others, pid), 0) - idleRate.postgres * seconds),
      caller: result.callerCpuMs ?? 0,
    },
  };
}
const ratio = (a: number, b: number, target: number) => `${(a / b).toFixed(2)}× (target ≥ ${target}×) ${a / b >= target ? 'MET' : 'NOT MET'}`;

/** n starts under the label `run`, closed-loop or at `rate`; `worked`: on the worker's task queue, else on one nobody polls (the start path alone). */
type Way = (n: number, run: string, options?: { rate?: number; worked?: boolean }) => Promise<Run & { callerCpuMs?: number }>;

async function main(): Promise<void> {
  const db = await benchDatabase('dvcqg_bench_starts');
  const temporal = await benchTemporal();
  const config = loadConfig(process.env, {
    DATABASE_URL: db.url, TEMPORAL_ADDRESS: temporal.address, TASK_QUEUE: `bench-starts-${Date.now()}`, LOG_LEVEL: 'warn', HOST: '127.0.0.1',
    RATE_LIMIT_PER_TOKEN: Number.MAX_SAFE_INTEGER, PRESSURE_MAX_EVENT_LOOP_DELAY_MS: 0,
  });
  const dataConverter = dataConverterFor(config);
  // The worker in its own process, as `npm start` runs it: the API's event loop is not the worker's.
  const root = fileURLToPath(new URL('..', import.meta.url));
  const worker = spawn(process.execPath, [`${root}node_modules/tsx/dist/cli.mjs`, `${root}worker.ts`], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DATABASE_URL: db.url, TEMPORAL_ADDRESS: temporal.address, TASK_QUEUE: config.TASK_QUEUE, LOG_LEVEL: 'warn' },
  });
  const workerExited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  // The HTTP load generator in its own process too: this process's CPU is then the API's alone.
  const loadChild = fork(fileURLToPath(import.meta.url), [], { execArgv: ['--import', 'tsx'], env: { ...process.env, STARTS_BENCH_LOADGEN: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const loadExited = new Promise<void>((resolve) => loadChild.once('exit', () => resolve()));
  const sendLoad = loadGenerator(loadChild);
  const app = await buildApp(config, { db: db.db }, false);
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  // The same API starting its workflows on a task queue nobody polls, as the bare and direct starts of the start-path runs.
  const unpolled = `${config.TASK_QUEUE}-unpolled`;
  const startPathApp = await buildApp({ ...config, TASK_QUEUE: unpolled }, { db: db.db }, false);
  const startPathUrl = await startPathApp.listen({ host: '127.0.0.1', port: 0 });
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, dataConverter });
  const rows: Record<string, string | number> = { 'machine load average (1 min) at start': load() };
  try {
    const agencyActor = { userId: 'bench', role: 'agency' as const, agency: 'BTP' };
    const portalActor = { userId: 'portal-bench', role: 'portal' as const };
    const agencyToken = await mintToken({ secret: config.AUTH_JWT_SECRET, issuer: config.AUTH_JWT_ISSUER }, agencyActor);
    const portalToken = await mintToken({ secret: config.AUTH_JWT_SECRET, issuer: config.AUTH_JWT_ISSUER }, portalActor);
    const stamp = `r${Date.now()}`;

    // The five ways to start, each run under a label so ids never collide across runs.
    const local = (make: (run: string, taskQueue: string) => (i: number) => Promise<boolean>): Way => (n, run, { rate, worked } = {}) =>
      (rate ? atRate(n, rate, make(run, worked ? config.TASK_QUEUE : unpolled)) : saturate(n, make(run, worked ? config.TASK_QUEUE : unpolled)));
    const bare = local((run) => async (i) => {
      await client.workflow.start('benchNoopWorkflow', { taskQueue: unpolled, workflowId: `noop-${run}-${i}`, args: [] });
      return true;
    });
    const directPayment = local((run, taskQueue) => async (i) => {
      const body = paymentBody(`${run}-${i}`, i);
      await client.workflow.start('paymentWorkflow', {
        taskQueue, workflowId: paymentWorkflowId(body.agency, body.requestRef), workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        args: [{ ...body, debitReportLimitHours: config.PAYMENT_DEBIT_REPORT_LIMIT_HOURS, actor: agencyActor }],
        typedSearchAttributes: [{ key: agencyKey, value: body.agency }, { key: processKey, value: PAYMENT_PROCESS }, { key: stageKey, value: 'awaitingPayer' }],
      });
      return true;
    });
    const directFeedback = local((run, taskQueue) => async (i) => {
      const body = feedbackBody(i);
      const itemId = createHash('sha256').update(`direct|${run}|${i}`).digest('hex').slice(0, 24);
      await client.workflow.start('feedbackWorkflow', {
        taskQueue, workflowId: feedbackWorkflowId(itemId), workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        args: [{ itemId, submission: body, submittedBy: portalActor, fingerprint: createHash('sha256').update(JSON.stringify(body)).digest('hex') }],
      });
      return true;
    });
    const apiPayment: Way = (n, run, { rate, worked } = {}) => sendLoad({ kind: 'payment', baseUrl: worked ? baseUrl : startPathUrl, token: agencyToken, run, n, ...(rate ? { rate } : {}) });
    const apiFeedback: Way = (n, run, { rate, worked } = {}) => sendLoad({ kind: 'feedback', baseUrl: worked ? baseUrl : startPathUrl, token: portalToken, run, n, ...(rate ? { rate } : {}) });

    // Waits until the worker has run what was started (payments projected by the workflow: revision ≥ 1; feedback clocks started).
    let feedbackStarted = 0;
    const drain = async (kind: 'bare' | 'payment' | 'feedback', run: string, n: number) => {
      const until = Date.now() + 300_000;
      if (kind === 'feedback') feedbackStarted += n;
      while (kind !== 'bare' && Date.now() < until) {
        const [row] = kind === 'payment'
          ? await db.db.select({ n: count() }).from(payments).where(and(like(payments.requestRef, `${run}-%`), gte(payments.revision, 1)))
          : await db.db.select({ n: count() }).from(slaClocks).where(eq(slaClocks.process, 'feedback'));
        if ((row?.n ?? 0) >= (kind === 'payment' ? n : 2 * feedbackStarted)) break;
        await new Promise((r) => setTimeout(r, 250));
      }
    };

    const modes = [
      { name: 'bare no-op starts (client, unpolled queue)', kind: 'bare' as const, way: bare },
      { name: 'payment: direct client starts', kind: 'payment' as const, way: directPayment },
      { name: 'payment: through the API (POST /v1/payments)', kind: 'payment' as const, way: apiPayment },
      { name: 'feedback: direct client starts', kind: 'feedback' as const, way: directFeedback },
      { name: 'feedback: through the API (POST /v1/feedback)', kind: 'feedback' as const, way: apiFeedback },
    ].filter((mode) => !process.env.STARTS_BENCH_ONLY || mode.name.includes(process.env.STARTS_BENCH_ONLY) || mode.kind === 'bare');
    const isApi = (name: string) => name.includes('API');
    // Warm-up: JIT, connections, caches, workflow bundle's first runs.
    for (const [m, mode] of modes.entries()) {
      await mode.way(20, `${stamp}-warm-${m}`);
      await mode.way(20, `${stamp}-warm-worked-${m}`, { worked: true });
      await drain(mode.kind, `${stamp}-warm-worked-${m}`, 20);
    }
    type Measured = Run & { cpuMs: CpuPerStart };
    const results = new Map<string, { full: Measured; half: Run; sustained: number; common?: Measured }>();
    // The Temporal server, then PostgreSQL's backends serving this database (the API's and the worker's pools).
    const pidsToMeasure = async () => [
      temporal.process?.pid ?? 0,
      ...((await db.sql`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`) as unknown as { pid: number }[]).map((row) => row.pid),
    ];
    // The start path alone (saturation, half rate, common rate): every way starts on a task queue
    // nobody polls, as the bare starts do — what a start costs, without the worker's work on the same
    // two cores. "Sustained" is a separate run on the worker's queue: started, and each case's first steps run.
    const cpuText = (name: string, cpu: CpuPerStart) =>
      `${(cpu.own + cpu.server + cpu.postgres).toFixed(2)} = ${isApi(name) ? 'API' : 'client'} ${cpu.own.toFixed(2)} + Temporal server ${cpu.server.toFixed(2)} + PostgreSQL ${cpu.postgres.toFixed(2)}` +
      (isApi(name) ? ` (HTTP load generator, its own process, not counted: ${cpu.caller.toFixed(2)})` : '');
    for (const [m, mode] of modes.entries()) {
      const fullRun = `${stamp}-full-${m}`;
      const full = await cpuPerStart(COUNT, pidsToMeasure, () => mode.way(COUNT, fullRun));
      const halfRun = `${stamp}-half-${m}`;
      const half = await mode.way(Math.ceil(COUNT / 2), halfRun, { rate: full.perSecond / 2 });
      results.set(mode.name, { full, half, sustained: NaN });
      rows[`${mode.name}: starts/s at saturation`] = `${full.perSecond.toFixed(0)}  (p50 ${full.p50.toFixed(0)} ms, p99 ${full.p99.toFixed(0)} ms, failed ${full.failures}; load ${load()})`;
      rows[`${mode.name}: CPU per start at saturation (ms)`] = cpuText(mode.name, full.cpuMs);
      rows[`${mode.name}: at half rate (${(full.perSecond / 2).toFixed(0)}/s)`] =
        `p50 ${half.p50.toFixed(1)} ms, p99 ${half.p99.toFixed(1)} ms${isApi(mode.name) ? ` (target p99 ≤ ${TARGET.p99HalfMs} ms) ${half.p99 <= TARGET.p99HalfMs ? 'MET' : 'NOT MET'}` : ''}, failed ${half.failures}`;
    }
    // Like for like: every way once more at one rate (half the slowest way's saturation), its CPU per start.
    // Before the sustained runs: the worker has nothing to do yet (only the warm-up's cases).
    const commonRate = Math.min(...[...results.values()].map((r) => r.full.perSecond)) / 2;
    for (const [m, mode] of modes.entries()) {
      const commonRun = `${stamp}-common-${m}`;
      const n = Math.ceil(COUNT / 2);
      const common = await cpuPerStart(n, pidsToMeasure, () => mode.way(n, commonRun, { rate: commonRate }));
      results.get(mode.name)!.common = common;
      rows[`${mode.name}: CPU per start at ${commonRate.toFixed(0)}/s (ms)`] = cpuText(mode.name, common.cpuMs);
    }
    // Last, so that no run above shares the machine with the worker's work on these cases.
    for (const [m, mode] of modes.entries()) {
      if (mode.kind === 'bare') continue;
      const sustainedRun = `${stamp}-sustained-${m}`;
      const sustainedStart = performance.now();
      await mode.way(COUNT, sustainedRun, { worked: true });
      await drain(mode.kind, sustainedRun, COUNT);
      const sustained = COUNT / ((performance.now() - sustainedStart) / 1000);
      results.get(mode.name)!.sustained = sustained;
      rows[`${mode.name}: sustained, worker working (first steps run)`] = `${sustained.toFixed(0)}/s`;
    }
    const rate = (name: string) => results.get(name)?.full.perSecond ?? NaN;
    const bareName = 'bare no-op starts (client, unpolled queue)';
    const bareRate = rate(bareName);
    for (const process of ['payment', 'feedback']) {
      const apiName = `${process}: through the API (POST /v1/${process === 'payment' ? 'payments' : 'feedback'})`;
      const directName = `${process}: direct client starts`;
      if (!results.has(apiName)) continue;
      rows[`${process}: API / bare starts`] = ratio(rate(apiName), bareRate, TARGET.apiOverBare);
      rows[`${process}: API / direct starts`] = ratio(rate(apiName), rate(directName), TARGET.apiOverDirect);
      // The same comparison in CPU per start at the common rate (load-independent): what a start costs the machine.
      const cpuOf = (name: string) => { const c = results.get(name)?.common?.cpuMs; return c ? c.own + c.server + c.postgres : NaN; };
      rows[`${process}: CPU per start at ${commonRate.toFixed(0)}/s, bare / API`] = ratio(cpuOf(bareName), cpuOf(apiName), TARGET.apiOverBare);
      rows[`${process}: CPU per start at ${commonRate.toFixed(0)}/s, direct / API`] = ratio(cpuOf(directName), cpuOf(apiName), TARGET.apiOverDirect);
      // With the worker working: what both sustain (each case's first steps run by the worker).
      const sustained = (name: string) => results.get(name)?.sustained ?? NaN;
      rows[`${process}: API / direct, sustained (first steps run)`] = ratio(sustained(apiName), sustained(directName), TARGET.apiOverDirect);
    }
    rows['machine load average (1 min) at end'] = load();
    report(`workflow starts side by side (${COUNT} per run, ${CONCURRENCY} concurrent at saturation; one dev server, the worker and the load generator in their own processes)`, rows);
  } finally {
    await app.close();
    await startPathApp.close();
    worker.kill('SIGTERM');
    loadChild.kill('SIGTERM');
    await Promise.all([workerExited, loadExited]);
    await clientConnection.close();
    await temporal.stop();
    await db.close();
  }
}

if (process.env.STARTS_BENCH_LOADGEN === '1') {
  serveLoad();
} else {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
