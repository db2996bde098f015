/**
 * Worker memory with many open cases (issue 18.5). The worker runs in its own OS process, as
 * deployed (`worker.ts`: `createWorker` from runtime/worker.ts, the workflow code bundled once
 * beforehand and loaded from a file): this process starts it (`--worker`), opens cases of every
 * long-lived process on a Temporal dev server (direct client starts and the first action, no API):
 * feedback items, payments, online services (DVCTT, proposed), TTHC publication decisions (an item
 * entered) and account issues — each left open, waiting on a person or a clock — and reads the
 * worker's memory from /proc: RSS every second (peak), and at each checkpoint RSS (anonymous / file),
 * after a GC in the worker, with its main-thread heap. Target: peak RSS ≤ 1 GiB.
 * A worker keeps at most `maxCachedWorkflows` runs in memory (runtime/worker.ts); beyond that runs
 * are evicted and replayed on their next task, so RSS should stop growing once the cache is full.
 *
 * Then the histories: per process, the largest history among the cases opened here (describe) and
 * among the committed replay samples (test/replay/histories), in events and bytes, against Temporal's
 * limits (warn at 10,240 events / 10 MiB, terminate at 51,200 events / 50 MiB).
 *
 * WORKER_MEMORY_BENCH_OPEN (cases of each process; default 1,000, 10000 for the issue's full figure),
 * WORKER_MEMORY_BENCH_CONCURRENCY (cases being opened at once per process; default 8, 32 for the full run),
 * WORKER_MEMORY_BENCH_CACHE (the worker's cache size; default runtime/worker.ts's) and
 * WORKER_MEMORY_BENCH_PROCESSES (comma-separated subset of feedback,payment,dvctt,tthc,account) override.
 */
import { createHash } from 'node:crypto';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { Client, Connection, WorkflowIdReusePolicy } from '@temporalio/client';
import { count, countDistinct, eq, ne, sql } from 'drizzle-orm';
import { loadConfig } from '../config/index.js';
import { createDatabase } from '../db/client.js';
import { declareService } from '../db/queries/dvctt.js';
import { dvcttServices, payments, slaClocks, tthcDecisions } from '../db/schema/index.js';
import { createLogger } from '../runtime/logger.js';
import { createWorker, workflowsPath } from '../runtime/worker.js';
import { dataConverterFor } from '../codec/encryption.js';
import { ACCOUNT_PROCESS, accountIssueWorkflowId } from '../workflows/account.definitions.js';
import { DVCTT_PROCESS, dvcttWorkflowId, proposeDvcttUpdate } from '../workflows/dvctt.definitions.js';
import { PAYMENT_PROCESS, paymentWorkflowId } from '../workflows/payment.definitions.js';
import { feedbackWorkflowId } from '../workflows/feedback.definitions.js';
import { addTthcItemsUpdate, TTHC_PROCESS, tthcDecisionWorkflowId, type TthcContent } from '../workflows/tthc.definitions.js';
import { agencyKey, processKey, stageKey } from '../workflows/search-attributes.js';
import { benchDatabase, benchTemporal, mib, report } from './support.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

const OPEN = Math.min(10_000, Math.max(8, Number(process.env.WORKER_MEMORY_BENCH_OPEN ?? 1_000)));
const CACHE = process.env.WORKER_MEMORY_BENCH_CACHE ? Number(process.env.WORKER_MEMORY_BENCH_CACHE) : undefined;
const ALL = ['feedback', 'payment', 'dvctt', 'tthc', 'account'] as const;
type Process = (typeof ALL)[number];
const PROCESSES = (process.env.WORKER_MEMORY_BENCH_PROCESSES?.split(',') ?? ALL).filter((p): p is Process => (ALL as readonly string[]).includes(p));
/**
 * Cases being opened at once per process (WORKER_MEMORY_BENCH_CONCURRENCY): enough to keep the worker
 * and the dev server busy, not so many that starts time out.
 */
const CONCURRENCY = Math.max(1, Number(process.env.WORKER_MEMORY_BENCH_CONCURRENCY ?? 8));
const CHECKPOINTS = OPEN >= 5_000 ? 10 : OPEN >= 1_000 ? 8 : 4;
const GIB = 1024 ** 3;
const LIMITS = { warnEvents: 10_240, warnBytes: 10 * 1024 ** 2, maxEvents: 51_200, maxBytes: 50 * 1024 ** 2 };

const load = () => loadavg()[0]!.toFixed(1);

/** What the worker process answers at a checkpoint (after a GC of its main thread). */
interface WorkerSample { heapUsed: number; external: number; arrayBuffers: number }

// ── the worker process ──────────────────────────────────────────────────────────────────────

async function runWorker(): Promise<void> {
  const config = loadConfig(process.env);
  const database = createDatabase(config.DATABASE_URL);
  const { worker, connection } = await createWorker({
    address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TASK_QUEUE,
    deps: { db: database.db, logger: createLogger('warn') }, dataConverter: dataConverterFor(config),
    workflowBundle: { codePath: config.WORKFLOW_BUNDLE_PATH },
    ...(CACHE !== undefined ? { maxCachedWorkflows: CACHE } : {}),
  });
  process.on('message', (message) => {
    if (message === 'sample') {
      (globalThis as { gc?: () => void }).gc?.();
      const { heapUsed, external, arrayBuffers } = process.memoryUsage();
      process.send?.({ sample: { heapUsed, external, arrayBuffers } satisfies WorkerSample });
    } else if (message === 'stop') worker.shutdown();
  });
  const running = worker.run();
  process.send?.({ ready: { maxCachedWorkflows: worker.options.maxCachedWorkflows, reuseV8Context: worker.options.reuseV8Context, threads: worker.options.workflowThreadPoolSize } });
  await running;
  await connection.close();
  await database.close();
  process.exit(0);
}

// ── this process: opens the cases and reads the worker's memory ────────────────────────────

/** VmRSS, VmHWM (peak) and the anonymous / file-backed parts of a process, in bytes. */
function procMemory(pid: number): { rss: number; hwm: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
}

function ask<T>(child: ChildProcess, message: string, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`worker exited (${code})`));
    const onMessage = (m: Record<string, unknown>) => {
      if (key in m) {
        child.off('message', onMessage).off('exit', onExit);
        resolve(m[key] as T);
      }
    };
    child.on('message', onMessage).once('exit', onExit);
    if (message) child.send(message);
  });
}

async function inParallel(n: number, one: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) await one(next++);
  }));
}

/** Largest committed replay sample per workflow type: [events, bytes, sample]. */
function largestSamples(): Map<string, [number, number, string]> {
  const dir = fileURLToPath(new URL('../test/replay/histories/', import.meta.url));
  const largest = new Map<string, [number, number, string]>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const text = readFileSync(dir + file, 'utf8');
    const events = (JSON.parse(text) as { events?: unknown[] }).events?.length ?? 0;
    const type = file.split('-')[0]!;
    const known = largest.get(type);
    if (!known || events > known[0]) largest.set(type, [events, Buffer.byteLength(text), file]);
  }
  return largest;
}

const againstLimits = (events: number, bytes: number) =>
  `${events} events, ${(bytes / 1024).toFixed(1)} KiB (${((events / LIMITS.warnEvents) * 100).toFixed(2)}% / ${((bytes / LIMITS.warnBytes) * 100).toFixed(2)}% of the 10,240-event / 10 MiB warning)`;

/** A TTHC with every component Decree 63 Art 8.2 requires, as long as a real one's (a few KiB). */
const tthcContent = (name: string): TthcContent => ({
  name, field: 'Hộ tịch', level: 'central', implementingAgency: 'Ủy ban nhân dân cấp xã',
  components: {
    steps: Array.from({ length: 6 }, (_, k) => `Bước ${k + 1}: cá nhân nộp hồ sơ, cơ quan tiếp nhận kiểm tra tính đầy đủ, hợp lệ và giải quyết theo quy định.`),
    channels: ['online', 'in-person'],
    dossier: Array.from({ length: 6 }, (_, k) => ({ name: `Giấy tờ ${k + 1} theo mẫu quy định tại Thông tư hướng dẫn`, copies: 1 })),
    processingTime: '03 ngày làm việc',
    subjects: ['Công dân Việt Nam', 'Người nước ngoài cư trú tại Việt Nam'],
    result: 'Giấy chứng nhận',
    fees: [{ name: 'Lệ phí', amountVnd: 50_000 }],
    legalBasis: ['Luật Hộ tịch 2014', 'Nghị định 123/2015/NĐ-CP', 'Thông tư 04/2020/TT-BTP'],
  },
});

async function main(): Promise<void> {
  const db = await benchDatabase('dvcqg_bench_worker_memory');
  const temporal = await benchTemporal();
  const config = loadConfig(process.env, { DATABASE_URL: db.url, TEMPORAL_ADDRESS: temporal.address, TASK_QUEUE: `bench-memory-${Date.now()}`, LOG_LEVEL: 'warn' });
  const dataConverter = dataConverterFor(config);
  // Bundled here, once, as a deployment ships it: the worker process only loads it.
  const dir = mkdtempSync(join(tmpdir(), 'worker-memory-'));
  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') })).code);
  const child = fork(fileURLToPath(import.meta.url), ['--worker'], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env, DATABASE_URL: db.url, TEMPORAL_ADDRESS: temporal.address, TASK_QUEUE: config.TASK_QUEUE, WORKFLOW_BUNDLE_PATH: bundlePath, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const options = await ask<{ maxCachedWorkflows: number; reuseV8Context: boolean; threads: number }>(child, '', 'ready');
  const pid = child.pid!;
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, dataConverter });
  const rows: Record<string, string | number> = {
    'machine load average (1 min) at start': load(),
    'worker: maxCachedWorkflows / reuseV8Context / threads': `${options.maxCachedWorkflows} / ${options.reuseV8Context} / ${options.threads}`,
  };
  let peakSampled = 0;
  const loads = { min: Infinity, max: 0 };
  const poll = setInterval(() => {
    peakSampled = Math.max(peakSampled, procMemory(pid).rss);
    const now = loadavg()[0]!;
    loads.min = Math.min(loads.min, now);
    loads.max = Math.max(loads.max, now);
  }, 1_000);
  const checkpoint = async (label: string) => {
    const heap = await ask<WorkerSample>(child, 'sample', 'sample');
    const m = procMemory(pid);
    peakSampled = Math.max(peakSampled, m.rss);
    rows[`RSS (anon / file) · heap ${label}`] = `${mib(m.rss)} (${mib(m.anon)} / ${mib(m.file)}) · ${mib(heap.heapUsed)} (load ${load()})`;
  };
  const ids = Object.fromEntries(PROCESSES.map((p) => [p, [] as string[]])) as Record<Process, string[]>;
  try {
    await checkpoint('baseline (worker polling, nothing open)');
    const started = performance.now();
    const agencyActor = { userId: 'bench', role: 'agency' as const, agency: 'BTP' };
    const portal = { userId: 'portal-bench', role: 'portal' as const };
    const run = `m${Date.now()}`;
    const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 24);
    const open: Record<Process, (i: number) => Promise<void>> = {
      // A payment waits on its payer (up to 30 days).
      payment: async (i) => {
        const body = {
          agency: 'BTP', requestRef: `${run}-${i}`, dossierCode: `H01-${i}`, feeTypeCode: 'LEPHI', amount: 50_000 + i,
          beneficiary: { kind: 'treasury' as const, institution: 'KBNN', account: '7111', name: 'KBNN Hà Nội' },
        };
        const workflowId = paymentWorkflowId(body.agency, body.requestRef);
        ids.payment.push(workflowId);
        await client.workflow.start('paymentWorkflow', {
          taskQueue: config.TASK_QUEUE, workflowId, workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          args: [{ ...body, expiryDays: 30, debitReportLimitHours: config.PAYMENT_DEBIT_REPORT_LIMIT_HOURS, actor: agencyActor }],
          typedSearchAttributes: [{ key: agencyKey, value: body.agency }, { key: processKey, value: PAYMENT_PROCESS }, { key: stageKey, value: 'awaitingPayer' }],
        });
      },
      // A feedback item waits on the agency's acceptance and answer (clocks of days).
      feedback: async (i) => {
        const submission = {
          sender: { name: `Người gửi ${i}`, address: 'Hà Nội', phone: '0912345678', email: `sender${i}@example.vn`, portalAccountId: `acc-${i}` },
          content: `Phản ánh số ${i}: thủ tục chưa được công khai đầy đủ trên Cổng.`,
          agency: i % 2 === 0 ? 'BTP' : 'UBND-HN', category: 'tthc-not-published', channel: 'portal',
        };
        const itemId = hash(`${run}|feedback|${i}`);
        const workflowId = feedbackWorkflowId(itemId);
        ids.feedback.push(workflowId);
        await client.workflow.start('feedbackWorkflow', {
          taskQueue: config.TASK_QUEUE, workflowId, workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          args: [{ itemId, submission, submittedBy: portal, fingerprint: createHash('sha256').update(JSON.stringify(submission)).digest('hex') }],
        });
      },
      // A service declared and proposed (Art 27.2) waits on VPCP's review.
      dvctt: async (i) => {
        const service = { code: `DVC-${run}-${i}`, name: `Dịch vụ công trực tuyến ${i}`, tthcCode: '1.000894', agency: 'BTP', level: 4 as const };
        await declareService(db.db, { ...service, declaredBy: agencyActor.userId });
        const workflowId = dvcttWorkflowId(service.code);
        ids.dvctt.push(workflowId);
        const handle = await client.workflow.start('dvcttWorkflow', {
          taskQueue: config.TASK_QUEUE, workflowId, workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE, args: [{ service }],
          typedSearchAttributes: [{ key: agencyKey, value: service.agency }, { key: processKey, value: DVCTT_PROCESS }, { key: stageKey, value: 'declared' }],
        });
        await handle.executeUpdate(proposeDvcttUpdate, { args: [{ actor: agencyActor }] });
      },
      // A decision with one TTHC entered waits on its check and publication (10 working days).
      tthc: async (i) => {
        const today = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
        const decisionId = hash(`${run}|tthc|${i}`);
        const workflowId = tthcDecisionWorkflowId(decisionId);
        ids.tthc.push(workflowId);
        const handle = await client.workflow.start('tthcDecisionWorkflow', {
          taskQueue: config.TASK_QUEUE, workflowId, workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          args: [{
            decisionId, number: `${i}/QĐ-BTP-${run}`, title: 'Quyết định công bố thủ tục hành chính', agency: 'BTP', agencyKind: 'ministry',
            authorityKind: 'minister', signedOn: today, legalEffectiveOn: '2099-01-01', createdBy: agencyActor,
          }],
          typedSearchAttributes: [{ key: agencyKey, value: 'BTP' }, { key: processKey, value: TTHC_PROCESS }, { key: stageKey, value: 'entering' }],
        });
        await handle.executeUpdate(addTthcItemsUpdate, { args: [{ actor: agencyActor, items: [{ kind: 'new', code: `B-${decisionId}`, content: tthcContent(`Thủ tục ${i}`) }] }] });
      },
      // An account issue waits on its 24-hour and 48-hour steps (Art 13.1).
      account: async (i) => {
        const submission = {
          accountId: `acc-${run}-${i}`, kind: 'complaint' as const, channel: 'portal' as const,
          owner: { name: `Chủ tài khoản ${i}`, phone: '0912345678' }, description: `Không đăng nhập được tài khoản (${i}).`,
        };
        const caseId = hash(`${run}|account|${i}`);
        const workflowId = accountIssueWorkflowId(caseId);
        ids.account.push(workflowId);
        await client.workflow.start('accountIssueWorkflow', {
          taskQueue: config.TASK_QUEUE, workflowId, workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          args: [{ caseId, submission, submittedBy: portal, fingerprint: createHash('sha256').update(JSON.stringify(submission)).digest('hex') }],
        });
      },
    };
    // How many cases of each process have run their first steps (projected, clocks started).
    const clockedCases = async (process: string) =>
      (await db.db.select({ n: countDistinct(slaClocks.workflowId) }).from(slaClocks).where(eq(slaClocks.process, process)))[0]?.n ?? 0;
    const ready: Record<Process, () => Promise<number>> = {
      payment: async () => (await db.db.select({ n: count() }).from(payments))[0]?.n ?? 0,
      feedback: () => clockedCases('feedback'),
      dvctt: async () => (await db.db.select({ n: count() }).from(dvcttServices).where(eq(dvcttServices.status, 'proposed')))[0]?.n ?? 0,
      tthc: async () => (await db.db.select({ n: count() }).from(tthcDecisions).where(ne(tthcDecisions.items, sql`'[]'::jsonb`)))[0]?.n ?? 0,
      account: () => clockedCases(ACCOUNT_PROCESS),
    };
    // Opened in checkpoints, every process at once, each part waited for until the worker has run
    // the cases' first steps.
    for (let part = 1; part <= CHECKPOINTS; part++) {
      const from = Math.floor(((part - 1) * OPEN) / CHECKPOINTS);
      const to = Math.floor((part * OPEN) / CHECKPOINTS);
      await Promise.all(PROCESSES.map((p) => inParallel(to - from, (i) => open[p](from + i))));
      const until = Date.now() + 30 * 60_000;
      while (Date.now() < until) {
        const counts = await Promise.all(PROCESSES.map((p) => ready[p]()));
        if (counts.every((n) => n >= to)) break;
        await new Promise((r) => setTimeout(r, 1_000));
      }
      await checkpoint(`with ${to} of each open (${PROCESSES.length * to} cases, ${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
    const { hwm } = procMemory(pid);
    rows['peak RSS of the worker process (VmHWM) vs target'] = `${mib(hwm)} (target ≤ 1024 MiB) ${hwm <= GIB ? 'MET' : 'NOT MET'}`;
    rows['peak RSS sampled every second'] = mib(peakSampled);
    const seconds = (performance.now() - started) / 1000;
    rows['opening rate (cases/s, all processes) / time'] = `${((PROCESSES.length * OPEN) / seconds).toFixed(1)} / ${seconds.toFixed(0)} s, ${CONCURRENCY} starts in flight per process`;
    rows['machine load average (1 min) while opening, min–max'] = `${loads.min.toFixed(1)}–${loads.max.toFixed(1)}`;
    report(`worker memory with ${OPEN} open cases of each of ${PROCESSES.join(', ')} (worker in its own process)`, rows);

    // Histories: the largest among 50 opened cases of each process, and among the committed samples.
    const history: Record<string, string> = {};
    for (const [process, list] of Object.entries(ids)) {
      let largest = { events: 0, bytes: 0 };
      for (const id of list.slice(0, 50)) {
        const d = await client.workflow.getHandle(id).describe();
        if (d.historyLength > largest.events) largest = { events: d.historyLength, bytes: d.historySize ?? 0 };
      }
      history[`${process} (opened here, open)`] = againstLimits(largest.events, largest.bytes);
    }
    for (const [type, [events, bytes, file]] of [...largestSamples()].sort()) {
      history[`${type} (largest committed sample)`] = `${againstLimits(events, bytes)} — ${file}; JSON bytes`;
    }
    report('largest history per process vs Temporal limits (warn 10,240 events / 10 MiB; terminate 51,200 / 50 MiB)', history);
  } finally {
    clearInterval(poll);
    child.send('stop');
    await new Promise((resolve) => child.once('exit', resolve));
    await clientConnection.close();
    await temporal.stop();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const entry = process.argv.includes('--worker') ? runWorker : main;
entry().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
