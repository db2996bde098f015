/**
 * The supervisor dashboard, the /metrics SLA gauges and the consistency checker over the 1,000,000
 * clocks of bench/supervision.bench.ts (called from there, so the rows are generated once).
 * - dashboard: `GET /v1/supervision/dashboard` through the app (queries + SVG + HTML), as VPCP (every
 *   clock) and as an agency officer; p50 and max of RUNS runs, printed beside the 1 s target;
 * - /metrics: one scrape of the API registry (the grouped SLA query included);
 * - checker: a whole pass over the cases of `sla_clocks` in runs of CONSISTENCY_MAX_CASES, against a
 *   Temporal dev server (visibility is asked for every case; none of these generated cases has an
 *   execution, so each pending one is also looked up in the permanent record): cases per second;
 *   then a pass over CHECKER_LIVE_CASES real payment cases (a worker runs them; 1 % terminated behind
 *   the projection's back), where every case is found in visibility and compared.
 */
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createConsistencyActivities } from '../activities/consistency.js';
import { buildApp } from '../api/app.js';
import { mintToken, type Actor } from '../api/auth.js';
import { loadConfig } from '../config/index.js';
import type { DatabaseHandle } from '../db/client.js';
import { createLogger } from '../runtime/logger.js';
import { createWorker } from '../runtime/worker.js';
import { CONSISTENCY_MAX_CASES } from '../workflows/consistency.definitions.js';
import { paymentWorkflowId } from '../workflows/payment.definitions.js';
import { benchTemporal, percentile, report } from './support.js';

const RUNS = 7;
const TARGET_MS = 1_000;
const CHECKER_LIVE_CASES = Math.min(Number(process.env.CHECKER_LIVE_CASES ?? 2_000), 20_000);
const START_CONCURRENCY = 24;

export async function benchDashboardAndChecker(database: DatabaseHandle & { url: string }): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  // Steady state: autovacuum keeps the visibility map of a live table current, which the
  // index-only scans of the dashboard and the gauges rely on; rows just generated have none yet.
  await database.sql`VACUUM ANALYZE sla_clocks`;
  const temporal = await benchTemporal();
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn' }, {
    DATABASE_URL: database.url, TEMPORAL_ADDRESS: temporal.address, PRESSURE_MAX_EVENT_LOOP_DELAY_MS: 0, RATE_LIMIT_PER_TOKEN: 1_000_000,
  });
  const app = await buildApp(config, { db: database.db }, false);
  const connection = await Connection.connect({ address: temporal.address });
  try {
    const page = async (actor: Actor): Promise<string> => {
      const authorization = `Bearer ${await mintToken({ secret: config.AUTH_JWT_SECRET, issuer: config.AUTH_JWT_ISSUER, audience: config.AUTH_JWT_AUDIENCE }, actor)}`;
      const samples: number[] = [];
      let bytes = 0;
      for (let i = 0; i <= RUNS; i++) {
        const started = performance.now();
        const res = await app.inject({ method: 'GET', url: '/v1/supervision/dashboard', headers: { authorization } });
        if (res.statusCode !== 200) throw new Error(`dashboard answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
        bytes = res.body.length;
        if (i > 0) samples.push(performance.now() - started); // the first is a warm-up
      }
      samples.sort((a, b) => a - b);
      const p50 = percentile(samples, 50);
      return `p50 ${p50.toFixed(0)} ms   max ${samples.at(-1)!.toFixed(0)} ms   (target ≤ ${TARGET_MS} ms: ${p50 <= TARGET_MS ? 'met' : 'MISSED'})   ${(bytes / 1024).toFixed(0)} KiB HTML`;
    };
    report(`supervisor dashboard, GET /v1/supervision/dashboard (${RUNS} runs after a warm-up)`, {
      'VPCP (every clock)': await page({ userId: 'bench-vpcp', role: 'vpcp', agency: 'VPCP' }),
      'agency officer (BTP)': await page({ userId: 'bench-btp', role: 'agency', agency: 'BTP' }),
    });

    const scrapes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await app.metrics.metrics();
      scrapes.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 5_100)); // past the gauges' shared snapshot
    }
    report('/metrics scrape (API registry, SLA gauges from one grouped query)', { 'p50 of 3': `${percentile(scrapes.sort((a, b) => a - b), 50).toFixed(0)} ms` });

    const checker = createConsistencyActivities(database.db, new Client({ connection }), createLogger('error'));
    const started = performance.now();
    let cases = 0;
    let runs = 0;
    const byCause: Record<string, number> = {};
    for (;;) {
      const result = await checker.checkSlaConsistency({ scope: '' });
      runs++;
      cases += result.casesChecked;
      for (const [cause, n] of Object.entries(result.byCause)) byCause[cause] = (byCause[cause] ?? 0) + n;
      if (result.cycleCompleted) break;
    }
    const seconds = (performance.now() - started) / 1000;
    report(`consistency checker, one whole pass (runs of ${CONSISTENCY_MAX_CASES.toLocaleString('en-US')} cases)`, {
      'cases compared': cases,
      runs,
      'seconds': seconds,
      'cases per second': cases / seconds,
      'findings by cause': JSON.stringify(byCause),
    });
    report(`consistency checker, ${CHECKER_LIVE_CASES.toLocaleString('en-US')} running payment cases`, await liveCases(database, temporal.address, checker));
  } finally {
    await connection.close();
    await app.close();
    await temporal.stop();
  }
}

/** Real cases: payments waiting for their payer (a pending clock each), 1 % of them terminated. */
async function liveCases(database: DatabaseHandle, address: string, checker: ReturnType<typeof createConsistencyActivities>): Promise<Record<string, string | number>> {
  const taskQueue = `bench-consistency-${Date.now()}`;
  const { worker, connection } = await createWorker({ address, namespace: 'default', taskQueue, deps: { db: database.db, logger: createLogger('error') } });
  const running = worker.run();
  try {
    const client = new Client({ connection });
    const run = `chk${Date.now()}`;
    const actor = { userId: 'bench', role: 'agency' as const, agency: 'BTP' };
    let next = 0;
    const handles: WorkflowHandle[] = [];
    await Promise.all(Array.from({ length: START_CONCURRENCY }, async () => {
      for (let i = next++; i < CHECKER_LIVE_CASES; i = next++) {
        const requestRef = `${run}-${i}`;
        handles[i] = await client.workflow.start('paymentWorkflow', {
          taskQueue, workflowId: paymentWorkflowId('BTP', requestRef),
          args: [{ agency: 'BTP', requestRef, dossierCode: `H01-${i}`, feeTypeCode: 'LEPHI', amount: 50_000 + i, beneficiary: { kind: 'treasury', institution: 'KBNN', account: '7111', name: 'KBNN Hà Nội' }, actor }],
        });
      }
    }));
    const scope = paymentWorkflowId('BTP', run);
    // Every case has projected its clock, and visibility lists every one.
    for (;;) {
      const [row] = await database.sql<{ n: number }[]>`select count(*)::int as n from sla_clocks where starts_with(workflow_id, ${scope})`;
      const listed = await client.workflow.count(`WorkflowId STARTS_WITH '${scope}' AND DvcqgNextDueAt IS NOT NULL`);
      if (row!.n === CHECKER_LIVE_CASES && listed.count === CHECKER_LIVE_CASES) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const terminated = handles.filter((_, i) => i % 100 === 0);
    for (const handle of terminated) await handle.terminate('benchmark: closed behind the projection');
    for (;;) {
      const closed = await client.workflow.count(`WorkflowId STARTS_WITH '${scope}' AND ExecutionStatus = 'Terminated'`);
      if (closed.count === terminated.length) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const started = performance.now();
    const result = await checker.checkSlaConsistency({ scope, maxCases: CHECKER_LIVE_CASES });
    const seconds = (performance.now() - started) / 1000;
    for (const handle of handles) if (!terminated.includes(handle)) await handle.terminate('benchmark finished');
    return {
      'cases compared': result.casesChecked,
      seconds,
      'cases per second': result.casesChecked / seconds,
      'findings by cause': JSON.stringify(result.byCause),
    };
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
  }
}
