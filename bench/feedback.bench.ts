/**
 * Citizen feedback intake through the API, with a real worker on a Temporal dev server and PostgreSQL:
 * 1. sustained intake — ITEMS submissions (Portal role, distinct Idempotency-Keys) from CONCURRENCY
 *    clients: items/s and p50/p99 latency of POST /v1/feedback (the response returns once the
 *    workflow is started), then the time until every item's workflow has started its two clocks;
 * 2. worker memory with all those items open (each waiting on its 5-working-day and 20-day clocks):
 *    RSS and heap of this process (API + worker), after a GC, against the baseline before intake.
 * The issue asks for 10,000 open items; on the shared 2-core machine the default is 1,000
 * (FEEDBACK_BENCH_ITEMS=10000 runs the full figure). When fewer were measured, the 10,000-item
 * line is an extrapolation — per-item cost × min(10,000, the worker's workflow cache size), since
 * runs beyond the cache are evicted — and says so.
 */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { count, eq } from 'drizzle-orm';
import { buildApp } from '../api/app.js';
import { mintToken } from '../api/auth.js';
import { loadConfig } from '../config/index.js';
import { slaClocks } from '../db/schema/index.js';
import { createLogger } from '../runtime/logger.js';
import { createWorker } from '../runtime/worker.js';
import { dataConverterFor } from '../codec/encryption.js';
import { benchDatabase, benchTemporal, mib, percentile, report } from './support.js';

const ITEMS = Math.min(10_000, Math.max(10, Number(process.env.FEEDBACK_BENCH_ITEMS ?? 1_000)));
const CONCURRENCY = 16;
const SETTLE_TIMEOUT_MS = 20 * 60_000;

const gc = () => (globalThis as { gc?: () => void }).gc?.();

async function main(): Promise<void> {
  const database = await benchDatabase('dvcqg_bench_feedback');
  const temporal = await benchTemporal();
  // Throughput is measured: no per-token rate limit, no load shedding.
  const config = loadConfig(process.env, {
    DATABASE_URL: database.url, TEMPORAL_ADDRESS: temporal.address, TASK_QUEUE: 'bench-feedback', LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_TOKEN: Number.MAX_SAFE_INTEGER, PRESSURE_MAX_EVENT_LOOP_DELAY_MS: 0,
  });
  const logger = createLogger('silent');
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../workflows/feedback.workflow.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  const { worker, connection } = await createWorker({
    address: temporal.address, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TASK_QUEUE,
    deps: { db: database.db, logger }, workflowBundle, dataConverter: dataConverterFor(config),
  });
  const running = worker.run();
  const app = await buildApp(config, { db: database.db }, false);
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const token = await mintToken({ secret: config.AUTH_JWT_SECRET, issuer: config.AUTH_JWT_ISSUER }, { userId: 'portal-bench', role: 'portal' });
    gc();
    const baseline = process.memoryUsage();

    const latencies: number[] = [];
    let next = 0;
    const failures = new Map<number, number>();
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < ITEMS) {
        const i = next++;
        const body = {
          sender: { name: `Người gửi ${i}`, address: 'Hà Nội', phone: '0912345678', email: `sender${i}@example.vn`, portalAccountId: `acc-${i}` },
          content: `Phản ánh số ${i}: thủ tục chưa được công khai đầy đủ trên Cổng.`,
          agency: i % 2 === 0 ? 'BTP' : 'UBND-HN',
          category: 'tthc-not-published',
          channel: 'portal',
        };
        const t0 = performance.now();
        const res = await fetch(`${baseUrl}/v1/feedback`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': `bench-item-${i}` },
          body: JSON.stringify(body),
        });
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (res.status !== 201) failures.set(res.status, (failures.get(res.status) ?? 0) + 1);
      }
    }));
    const intakeSeconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);

    // Every started item's workflow has run intake and started its classify and answer clocks.
    const accepted = ITEMS - [...failures.values()].reduce((a, b) => a + b, 0);
    let clocks = 0;
    while (clocks < 2 * accepted && performance.now() - started < SETTLE_TIMEOUT_MS) {
      await new Promise((r) => setTimeout(r, 1000));
      const [row] = await database.db.select({ n: count() }).from(slaClocks).where(eq(slaClocks.process, 'feedback'));
      clocks = row?.n ?? 0;
    }
    const settledSeconds = (performance.now() - started) / 1000;
    gc();
    const open = process.memoryUsage();
    const perItemHeap = (open.heapUsed - baseline.heapUsed) / accepted;
    const perItemRss = (open.rss - baseline.rss) / accepted;

    report(`feedback intake through the API (${ITEMS} items, ${CONCURRENCY} concurrent clients)`, {
      'submissions/s (POST /v1/feedback → 201)': ITEMS / intakeSeconds,
      'latency p50': `${percentile(latencies, 50).toFixed(1)} ms`,
      'latency p99': `${percentile(latencies, 99).toFixed(1)} ms`,
      'non-201 responses (by status)': failures.size === 0 ? 'none' : JSON.stringify(Object.fromEntries(failures)),
      'all workflows started their clocks after': `${settledSeconds.toFixed(1)} s (${clocks} / ${2 * accepted} clocks)`,
      'items fully open per second (end to end)': accepted / settledSeconds,
    });
    // Open runs beyond the worker's sticky cache are evicted and replayed on their next task, so
    // memory grows with min(open items, cache size), not with the number of open items.
    const cache = worker.options.maxCachedWorkflows;
    const cached10k = Math.min(10_000, cache);
    report(`worker memory with ${accepted} open items (API + worker in one process, after GC)`, {
      'worker workflow cache (maxCachedWorkflows)': cache,
      'RSS baseline → open': `${mib(baseline.rss)} → ${mib(open.rss)}`,
      'heap used baseline → open': `${mib(baseline.heapUsed)} → ${mib(open.heapUsed)}`,
      'per open item (heap / RSS)': `${(perItemHeap / 1024).toFixed(1)} KiB / ${(perItemRss / 1024).toFixed(1)} KiB`,
      [`10,000 open items${accepted < 10_000 ? ' (EXTRAPOLATED, not measured)' : ''}`]: accepted < 10_000
        ? `${cached10k} cached × per-item figure: heap ≈ ${mib(baseline.heapUsed + perItemHeap * cached10k)}, RSS ≈ ${mib(baseline.rss + perItemRss * cached10k)}`
        : `heap ${mib(open.heapUsed)}, RSS ${mib(open.rss)} (measured)`,
    });
  } finally {
    await app.close();
    worker.shutdown();
    await running;
    await connection.close();
    await temporal.stop();
    await database.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
