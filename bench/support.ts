/**
 * Shared benchmark runtime: a dedicated database (`dvcqg_bench`, recreated per run) on the local
 * PostgreSQL, and a Temporal dev server (in-memory, free ports) when a benchmark needs one.
 * Benchmarks print figures; they never assert timings.
 */
import { createDatabase, type DatabaseHandle } from '../db/client.js';
import { migrateAndSeed } from '../db/migrate.js';
import { dropDatabase, ensureDatabase, ensurePostgres, freePort, startTemporalDevServer, type TemporalDevServer } from '../scripts/runtime.js';

export async function benchDatabase(name = 'dvcqg_bench'): Promise<DatabaseHandle & { url: string }> {
  const baseUrl = process.env.DATABASE_URL ? process.env.DATABASE_URL.replace(/\/[^/]*$/, '') : (await ensurePostgres()).baseUrl;
  await dropDatabase(baseUrl, name);
  const url = await ensureDatabase(baseUrl, name);
  const handle = createDatabase(url, { max: 8 });
  await migrateAndSeed(handle.db);
  return { ...handle, url };
}

export async function benchTemporal(): Promise<TemporalDevServer> {
  if (process.env.TEMPORAL_ADDRESS) {
    return { address: process.env.TEMPORAL_ADDRESS, uiUrl: '', process: undefined, stop: async () => undefined };
  }
  return startTemporalDevServer({ port: await freePort(), uiPort: await freePort() });
}

/** Runs `fn` `iterations` times and returns operations per second. */
export function opsPerSecond(iterations: number, fn: (i: number) => void): number {
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn(i);
  return iterations / ((performance.now() - start) / 1000);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export function report(title: string, rows: Record<string, string | number>): void {
  process.stdout.write(`\n== ${title}\n`);
  for (const [k, v] of Object.entries(rows)) process.stdout.write(`  ${k.padEnd(44)} ${typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : v}\n`);
}

/**
 * Times `fn` `runs` times after one warm-up call: p50 and max in milliseconds, and the line the
 * query benchmarks print (beside `targetMs` when given).
 */
export async function timedRuns(fn: () => Promise<unknown>, runs: number, targetMs?: number): Promise<{ p50: number; max: number; text: string }> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const p50 = percentile(samples, 50);
  const max = samples.at(-1)!;
  const text = `p50 ${p50.toFixed(1).padStart(6)} ms   max ${max.toFixed(1).padStart(6)} ms${targetMs === undefined ? '' : `   target ≤ ${targetMs} ms: ${p50 <= targetMs ? 'met' : 'MISSED'}`}`;
  return { p50, max, text };
}

/** A query the API no longer runs, timed for comparison (no target): an OFFSET past `MAX_PAGE_OFFSET`, which the API refuses. */
export async function refusedOffsetRuns(fn: () => Promise<unknown>, runs: number): Promise<string> {
  return `${(await timedRuns(fn, runs)).text}   (reference: the API refuses this OFFSET)`;
}
