/**
 * Payment starts through the API on the production topology (scripts/cluster.ts): temporal-server
 * built from source on PostgreSQL, the API and the workers as separate processes. The same load runs
 * with one worker process, then with a second one added. A 201 no longer waits for the worker (the API
 * lands the payment's first projection row itself), so each run counts until the workflows' own
 * first projection writes (revision ≥ 1) have landed: the workers' side is in every figure.
 * CLUSTER_BENCH_COUNT / _CONCURRENCY override the load.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { authConfigOf, mintToken } from '../api/auth.js';
import { loadConfig } from '../config/index.js';
import { startCluster, type Cluster } from '../scripts/cluster.js';
import { createDatabase } from '../db/client.js';
import { percentile, report } from './support.js';

const COUNT = Math.min(Number(process.env.CLUSTER_BENCH_COUNT ?? 600), 5_000);
const CONCURRENCY = Math.min(Number(process.env.CLUSTER_BENCH_CONCURRENCY ?? 16), 64);

/** Payment starts through the API; then the wait until the workers have projected every one of them (revision ≥ 1). */
async function startPayments(cluster: Cluster, token: string, run: string, count: number) {
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) {
      const i = next++;
      const t = performance.now();
      const res = await fetch(`${cluster.apiUrl}/v1/payments`, {
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
  const acceptedSeconds = (performance.now() - start) / 1000;
  const { sql, close } = createDatabase(cluster.databaseUrl, { max: 1 });
  try {
    for (const until = Date.now() + 300_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
      const [row] = (await sql`select count(*)::int as n from payments where request_ref like ${`${run}-%`} and revision >= 1`) as unknown as [{ n: number }];
      if (row.n >= count - failures) break;
    }
  } finally {
    await close();
  }
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    perSecond: Math.round((count - failures) / seconds), acceptedPerSecond: Math.round((count - failures) / acceptedSeconds),
    p50: percentile(latencies, 50), p99: percentile(latencies, 99), failures,
  };
}

async function main(): Promise<void> {
  const stamp = `${Date.now()}_${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'dvcqg-cluster-bench-'));
  const started = performance.now();
  const cluster = await startCluster({
    databases: { app: `dvcqg_bench_cluster_${stamp}`, persistence: `temporal_bench_${stamp}`, visibility: `temporal_visibility_bench_${stamp}` },
    workers: 1,
    dir,
    // Throughput is measured: no per-token rate limit, no load shedding, few log lines.
    env: { LOG_LEVEL: 'warn', RATE_LIMIT_PER_TOKEN: String(Number.MAX_SAFE_INTEGER), PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0' },
  });
  const startupSeconds = (performance.now() - started) / 1000;
  try {
    const config = loadConfig(cluster.env);
    const token = await mintToken(authConfigOf(config), { userId: 'bench', role: 'agency', agency: 'BTP' });
    // The machine is shared: its load says how much of the two cores these processes had.
    const rows: Record<string, string | number> = {
      'machine load average (1 min) at start': loadavg()[0]!.toFixed(1),
      'cluster start (server, schemas, namespace, API, 1 worker) (s)': startupSeconds.toFixed(1),
    };
    await startPayments(cluster, token, `warm-${stamp}`, 100);
    for (const workers of [1, 2]) {
      if (workers === 2) {
        const t = performance.now();
        await cluster.addWorker();
        rows['second worker process polling after (s)'] = ((performance.now() - t) / 1000).toFixed(1);
      }
      const r = await startPayments(cluster, token, `w${workers}-${stamp}`, COUNT);
      rows[`${workers} worker${workers > 1 ? 's' : ''}: payments per second, started and projected by the workflow`] = r.perSecond;
      rows[`${workers} worker${workers > 1 ? 's' : ''}: payment starts per second (HTTP 201)`] = r.acceptedPerSecond;
      rows[`${workers} worker${workers > 1 ? 's' : ''}: latency p50 / p99 (ms)`] = `${r.p50.toFixed(0)} / ${r.p99.toFixed(0)}`;
      rows[`${workers} worker${workers > 1 ? 's' : ''}: failed requests`] = r.failures;
    }
    rows['machine load average (1 min) at end'] = loadavg()[0]!.toFixed(1);
    report(`production topology: payment starts through the API (${COUNT} requests, ${CONCURRENCY} concurrent; temporal-server on PostgreSQL, API and workers as processes)`, rows);
  } finally {
    await cluster.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
