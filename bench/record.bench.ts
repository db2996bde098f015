/**
 * The permanent record: copying closed histories from Temporal into PostgreSQL. Creates
 * RECORD_BENCH_CASES (default 1,000; 10,000 for the README figure) payment cases on the Temporal
 * dev server and closes each (registered → cancelled by the agency: ~25 events, three activities),
 * then times the sweeper (`copyClosedRuns`, the activity the record Schedule runs) copying every
 * closed run: runs per second, and MiB stored per case (gzipped canonical history + row).
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { createRecordActivities } from '../activities/record.js';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../runtime/logger.js';
import { createWorker } from '../runtime/worker.js';
import { cancelPaymentUpdate, paymentWorkflowId } from '../workflows/payment.definitions.js';
import { benchDatabase, benchTemporal, mib, report } from './support.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

const CASES = Math.min(Number(process.env.RECORD_BENCH_CASES ?? 1_000), 50_000);
const CONCURRENCY = 24;

async function main(): Promise<void> {
  const db = await benchDatabase('dvcqg_bench_record');
  const temporal = await benchTemporal();
  const config = loadConfig(process.env, { DATABASE_URL: db.url, TEMPORAL_ADDRESS: temporal.address, TASK_QUEUE: `bench-record-${Date.now()}`, LOG_LEVEL: 'warn' });
  const logger = createLogger('warn');
  const { worker, connection } = await createWorker({
    address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TASK_QUEUE, deps: { db: db.db, logger },
  });
  const running = worker.run();
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  try {
    const actor = { userId: 'bench', role: 'agency' as const, agency: 'BTP' };
    const run = `rec${Date.now()}`;
    let next = 0;
    const made = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < CASES; i = next++) {
        const requestRef = `${run}-${i}`;
        const handle = await client.workflow.start('paymentWorkflow', {
          taskQueue: config.TASK_QUEUE, workflowId: paymentWorkflowId('BTP', requestRef),
          args: [{ agency: 'BTP', requestRef, dossierCode: `H01-${i}`, feeTypeCode: 'LEPHI', amount: 50_000 + i, beneficiary: { kind: 'treasury', institution: 'KBNN', account: '7111', name: 'KBNN Hà Nội' }, actor }],
        });
        // A saturated machine can time a workflow task out (the case retries it): the agency retries too.
        for (let attempt = 1; ; attempt++) {
          try {
            await handle.executeUpdate(cancelPaymentUpdate, { args: [{ reason: 'benchmark', actor }], updateId: `cancel-${requestRef}` });
            break;
          } catch (err) {
            if (attempt >= 10) throw err;
            await new Promise((r) => setTimeout(r, 500 * attempt));
          }
        }
        await handle.result();
      }
    }));
    const makeSeconds = (performance.now() - made) / 1000;
    process.stdout.write(`${CASES} cases closed in ${makeSeconds.toFixed(0)} s; copying…\n`);

    const record = createRecordActivities(db.db, client, logger);
    const start = performance.now();
    let copied = 0;
    let sweeps = 0;
    // Visibility lags closes a little: sweep until every case is stored.
    while (copied < CASES && sweeps < 100) {
      const result = await record.copyClosedRuns({ taskQueue: config.TASK_QUEUE, limit: 50_000 });
      copied += result.copied;
      sweeps++;
      if (result.failed.length > 0) throw new Error(`copy failed: ${JSON.stringify(result.failed.slice(0, 3))}`);
    }
    const seconds = (performance.now() - start) / 1000;
    const [size] = (await db.sql`
      select count(*)::int as runs, coalesce(sum(history_bytes), 0)::bigint as raw, coalesce(sum(length(history_gzip)), 0)::bigint as gz,
             pg_total_relation_size('case_runs')::bigint as total, avg(event_count)::numeric(10,1) as events
      from case_runs`) as unknown as [{ runs: number; raw: string; gz: string; total: string; events: string }];
    report(`permanent record: copying ${CASES} closed histories (payment cases, ${size.events} events each on average)`, {
      'runs copied': size.runs,
      'copy rate (runs per second; target ≥ 50)': (copied / seconds).toFixed(1),
      'sweeps needed': sweeps,
      'history per case, canonical JSON (KiB)': (Number(size.raw) / size.runs / 1024).toFixed(1),
      'history per case, stored gzipped (KiB)': (Number(size.gz) / size.runs / 1024).toFixed(1),
      'stored per case, table + indexes (MiB; target ≤ 0.05)': (Number(size.total) / size.runs / 1024 / 1024).toFixed(4),
      'Node peak RSS (worker + sweeper, maxRSS)': mib(process.resourceUsage().maxRSS * 1024),
    });
  } finally {
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
