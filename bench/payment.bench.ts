/**
 * Sustained payment starts through the API: POST /v1/payments (an agency registering payment
 * requests) against a real API on 127.0.0.1, the Temporal dev server, a worker and PostgreSQL,
 * with bounded concurrency and a bounded count; then waits for every request's projection row
 * (the worker has run each workflow's first steps). PAYMENT_BENCH_COUNT / _CONCURRENCY override.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { buildApp } from '../api/app.js';
import { mintToken } from '../api/auth.js';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../runtime/logger.js';
import { createWorker } from '../runtime/worker.js';
import { dataConverterFor } from '../codec/encryption.js';
import { benchDatabase, benchTemporal, mib, percentile, report } from './support.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

const COUNT = Math.min(Number(process.env.PAYMENT_BENCH_COUNT ?? 500), 5_000);
const CONCURRENCY = Math.min(Number(process.env.PAYMENT_BENCH_CONCURRENCY ?? 16), 64);

async function main(): Promise<void> {
  const db = await benchDatabase('dvcqg_bench_payment');
  const temporal = await benchTemporal();
  // Throughput is measured: no per-token rate limit, no load shedding.
  const config = loadConfig(process.env, {
    DATABASE_URL: db.url, TEMPORAL_ADDRESS: temporal.address, TASK_QUEUE: `bench-payment-${Date.now()}`, LOG_LEVEL: 'warn', HOST: '127.0.0.1',
    RATE_LIMIT_PER_TOKEN: Number.MAX_SAFE_INTEGER, PRESSURE_MAX_EVENT_LOOP_DELAY_MS: 0,
  });
  const { worker, connection } = await createWorker({
    address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TASK_QUEUE, deps: { db: db.db, logger: createLogger('warn') },
    dataConverter: dataConverterFor(config),
  });
  const running = worker.run();
  const app = await buildApp(config, { db: db.db }, false);
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const token = await mintToken({ secret: config.AUTH_JWT_SECRET, issuer: config.AUTH_JWT_ISSUER }, { userId: 'bench', role: 'agency', agency: 'BTP' });
    const run = `r${Date.now()}`;
    const latencies: number[] = [];
    let failures = 0;
    let next = 0;
    const start = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < COUNT) {
        const i = next++;
        const t = performance.now();
        const res = await fetch(`${baseUrl}/v1/payments`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            agency: 'BTP', requestRef: `${run}-${i}`, dossierCode: `H01-${i}`, feeTypeCode: 'LEPHI', amount: 50_000 + i,
            beneficiary: { kind: 'treasury', institution: 'KBNN', account: '7111', name: 'KBNN Hà Nội' },
          }),
        });
        await res.arrayBuffer();
        if (res.status !== 201) failures++;
        latencies.push(performance.now() - t);
      }
    }));
    const startsSeconds = (performance.now() - start) / 1000;
    // Every request registered by the worker (projection row written by its first activity).
    const deadline = Date.now() + 300_000;
    let projected = 0;
    while (Date.now() < deadline) {
      const [row] = (await db.sql`select count(*)::int as n from payments where request_ref like ${`${run}-%`}`) as unknown as [{ n: number }];
      projected = row.n;
      if (projected >= COUNT - failures) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const allSeconds = (performance.now() - start) / 1000;
    latencies.sort((a, b) => a - b);
    report(`payment starts through the API (${COUNT} requests, ${CONCURRENCY} concurrent, 127.0.0.1)`, {
      'starts per second (HTTP 201)': Math.round((COUNT - failures) / startsSeconds),
      'latency p50 / p95 / p99 (ms)': `${percentile(latencies, 50).toFixed(0)} / ${percentile(latencies, 95).toFixed(0)} / ${percentile(latencies, 99).toFixed(0)}`,
      'failed requests': failures,
      'registered by the worker (projection rows)': projected,
      'all registered after (s)': allSeconds.toFixed(1),
      'Node peak RSS (API + worker, maxRSS)': mib(process.resourceUsage().maxRSS * 1024),
    });
  } finally {
    await app.close();
    worker.shutdown();
    await running;
    await connection.close();
    await temporal.stop();
    await db.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
