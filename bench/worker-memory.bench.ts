/**
 * Worker memory with many open cases (issue 18.5): OPEN feedback items and OPEN payments started on a
 * Temporal dev server (direct client starts, no API in this process), each left open (feedback waiting
 * on its clocks, payments on the payer); the worker's RSS and heap are read as they open and at the end,
 * after a GC, against the 1 GiB target. A worker keeps at most `maxCachedWorkflows` runs in memory
 * (runtime/worker.ts): beyond that, runs are evicted and replayed on their next task, so RSS should
 * stop growing once the cache is full — the checkpoints show whether it does.
 *
 * Then the histories: per process, the largest history among the cases opened here (describe) and
 * among the committed replay samples (test/replay/histories), in events and bytes, against Temporal's
 * limits (warn at 10,240 events / 10 MiB, terminate at 51,200 events / 50 MiB).
 *
 * WORKER_MEMORY_BENCH_OPEN (default 1,500 of each; 10000 for the full figure) and
 * WORKER_MEMORY_BENCH_CACHE (the worker's cache size; default runtime/worker.ts's) override.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Client, Connection, WorkflowIdReusePolicy } from '@temporalio/client';
import { count, eq } from 'drizzle-orm';
import { loadConfig } from '../config/index.js';
import { payments, slaClocks } from '../db/schema/index.js';
import { createLogger } from '../runtime/logger.js';
import { createWorker } from '../runtime/worker.js';
import { dataConverterFor } from '../codec/encryption.js';
import { PAYMENT_PROCESS, paymentWorkflowId } from '../workflows/payment.definitions.js';
import { feedbackWorkflowId } from '../workflows/feedback.definitions.js';
import { agencyKey, processKey, stageKey } from '../workflows/search-attributes.js';
import { benchDatabase, benchTemporal, mib, report } from './support.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

const OPEN = Math.min(10_000, Math.max(10, Number(process.env.WORKER_MEMORY_BENCH_OPEN ?? 1_500)));
const CACHE = process.env.WORKER_MEMORY_BENCH_CACHE ? Number(process.env.WORKER_MEMORY_BENCH_CACHE) : undefined;
const CONCURRENCY = 24;
const GIB = 1024 ** 3;
const LIMITS = { warnEvents: 10_240, warnBytes: 10 * 1024 ** 2, maxEvents: 51_200, maxBytes: 50 * 1024 ** 2 };

const gc = () => (globalThis as { gc?: () => void }).gc?.();
const load = () => loadavg()[0]!.toFixed(1);

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

async function main(): Promise<void> {
  const db = await benchDatabase('dvcqg_bench_worker_memory');
  const temporal = await benchTemporal();
  const config = loadConfig(process.env, { DATABASE_URL: db.url, TEMPORAL_ADDRESS: temporal.address, TASK_QUEUE: `bench-memory-${Date.now()}`, LOG_LEVEL: 'warn' });
  const dataConverter = dataConverterFor(config);
  const { worker, connection } = await createWorker({
    address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TASK_QUEUE,
    deps: { db: db.db, logger: createLogger('warn') }, dataConverter, ...(CACHE !== undefined ? { maxCachedWorkflows: CACHE } : {}),
  });
  const running = worker.run();
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, dataConverter });
  const rows: Record<string, string | number> = {
    'machine load average (1 min) at start': load(),
    'worker: maxCachedWorkflows / reuseV8Context': `${worker.options.maxCachedWorkflows} / ${worker.options.reuseV8Context}`,
  };
  let peakRss = 0;
  const sample = (label: string) => {
    gc();
    const { rss, heapUsed } = process.memoryUsage();
    peakRss = Math.max(peakRss, rss);
    rows[`RSS / heap ${label}`] = `${mib(rss)} / ${mib(heapUsed)} (load ${load()})`;
  };
  try {
    sample('baseline (worker polling, nothing open)');
    const started = performance.now();
    const actor = { userId: 'bench', role: 'agency' as const, agency: 'BTP' };
    const portal = { userId: 'portal-bench', role: 'portal' as const };
    const run = `m${Date.now()}`;
    const ids = { payment: [] as string[], feedback: [] as string[] };
    const openPayment = async (i: number) => {
      const body = {
        agency: 'BTP', requestRef: `${run}-${i}`, dossierCode: `H01-${i}`, feeTypeCode: 'LEPHI', amount: 50_000 + i,
        beneficiary: { kind: 'treasury' as const, institution: 'KBNN', account: '7111', name: 'KBNN Hà Nội' },
      };
      const workflowId = paymentWorkflowId(body.agency, body.requestRef);
      ids.payment.push(workflowId);
      await client.workflow.start('paymentWorkflow', {
        taskQueue: config.TASK_QUEUE, workflowId, workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        // 30 days to pay (the most a request allows): it stays open for the whole bench.
        args: [{ ...body, expiryDays: 30, debitReportLimitHours: config.PAYMENT_DEBIT_REPORT_LIMIT_HOURS, actor }],
        typedSearchAttributes: [{ key: agencyKey, value: body.agency }, { key: processKey, value: PAYMENT_PROCESS }, { key: stageKey, value: 'awaitingPayer' }],
      });
    };
    const openFeedback = async (i: number) => {
      const submission = {
        sender: { name: `Người gửi ${i}`, address: 'Hà Nội', phone: '0912345678', email: `sender${i}@example.vn`, portalAccountId: `acc-${i}` },
        content: `Phản ánh số ${i}: thủ tục chưa được công khai đầy đủ trên Cổng.`,
        agency: i % 2 === 0 ? 'BTP' : 'UBND-HN', category: 'tthc-not-published', channel: 'portal',
      };
      const itemId = createHash('sha256').update(`${run}|${i}`).digest('hex').slice(0, 24);
      const workflowId = feedbackWorkflowId(itemId);
      ids.feedback.push(workflowId);
      await client.workflow.start('feedbackWorkflow', {
        taskQueue: config.TASK_QUEUE, workflowId, workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        args: [{ itemId, submission, submittedBy: portal, fingerprint: createHash('sha256').update(JSON.stringify(submission)).digest('hex') }],
      });
    };
    // Opened in quarters, both processes at once, each quarter waited for until the worker has run
    // its first steps (payments projected, both feedback clocks started).
    for (let quarter = 1; quarter <= 4; quarter++) {
      const from = Math.floor(((quarter - 1) * OPEN) / 4);
      const to = Math.floor((quarter * OPEN) / 4);
      await Promise.all([inParallel(to - from, (i) => openPayment(from + i)), inParallel(to - from, (i) => openFeedback(from + i))]);
      const until = Date.now() + 30 * 60_000;
      while (Date.now() < until) {
        const [p] = await db.db.select({ n: count() }).from(payments);
        const [f] = await db.db.select({ n: count() }).from(slaClocks).where(eq(slaClocks.process, 'feedback'));
        if ((p?.n ?? 0) >= to && (f?.n ?? 0) >= 2 * to) break;
        await new Promise((r) => setTimeout(r, 1_000));
      }
      sample(`with ${to} + ${to} open (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
    rows['peak RSS (sampled after GC) vs target'] = `${mib(peakRss)} (target ≤ 1024 MiB) ${peakRss <= GIB ? 'MET' : 'NOT MET'}`;
    rows['process maxRSS (without GC)'] = mib(process.resourceUsage().maxRSS * 1024);
    report(`worker memory with ${OPEN} open payments and ${OPEN} open feedback items (worker alone in this process)`, rows);

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
