import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type TLSConfig, type WorkerOptions } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Logger } from 'pino';
import { createActivities, type ActivityDeps } from '../activities/index.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

const pinoLevel: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

let runtimeInstalled = false;

/**
 * Forwards the Temporal runtime's (core and SDK) log lines to pino; once per process. With
 * `metricsAddress` (TEMPORAL_METRICS_ADDRESS) the SDK's own Prometheus exporter serves the worker's
 * metrics (polls, task latencies, slots, sticky cache) at `http://<metricsAddress>/metrics`.
 */
export function installTemporalLogging(logger: Logger, metricsAddress?: string): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const temporalLogger = logger.child({ source: 'temporal' });
  const forward = new DefaultLogger('INFO', ({ level, message, meta }) => {
    temporalLogger[pinoLevel[level]](meta ?? {}, message);
  });
  try {
    Runtime.install({ logger: forward, ...(metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } } : {}) });
  } catch (err) {
    if (!metricsAddress) throw err;
    // A busy metrics port must not keep the worker from working: it runs without the exporter.
    logger.error({ err, metricsAddress, alert: 'temporal-metrics-exporter-failed' }, 'Temporal SDK metrics exporter not started');
    Runtime.install({ logger: forward });
  }
}

export interface CreateWorkerOptions {
  address: string;
  /** mTLS to the frontend: `temporalTls(config)` (config/temporal-tls.ts); plaintext when undefined. */
  tls?: TLSConfig | undefined;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests bundle once); otherwise the worker bundles `workflows/index.ts`. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  connection?: NativeConnection;
  /** The payload codecs (encryption) from the configuration: `dataConverterFor(config)`; none by default. */
  dataConverter?: DataConverter;
  /** Runs kept in memory between tasks; `MAX_CACHED_WORKFLOWS` by default (benchmarks compare sizes). */
  maxCachedWorkflows?: number;
}

/**
 * Runs a worker keeps in memory between their tasks. The SDK's default grows with the heap limit
 * (2,310 on this machine's 4 GiB heap), and a worker held 1.84 GiB RSS with 10,000 open feedback
 * items. An open case spends its life waiting (on a citizen, a bank, a clock of days): what the cache
 * saves is the replay of a run whose next task comes while it is still cached, which matters for the
 * burst of tasks around a start or an action (seconds), not for the wait. 500 covers several seconds
 * of starts at this machine's saturation rate; a run evicted beyond it is replayed on its next task
 * (milliseconds for these histories). Memory then stops growing with the number of open cases
 * (bench/worker-memory.bench.ts, the worker in its own process): RSS ≈ 310 MiB at rest, ~100 MiB
 * more once cases run, + ~0.7 MiB per cached run (its own instances of the bundle's modules) + the
 * tasks in flight; with 10,000 open cases of five processes the peak was 904 MiB against the 1 GiB
 * target (cache 250: 659 MiB, 100: 549 MiB).
 */
export const MAX_CACHED_WORKFLOWS = 500;

export async function createWorker(options: CreateWorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = options.connection ?? (await NativeConnection.connect({ address: options.address, tls: options.tls }));
  const { dataConverter } = options;
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    dataConverter,
    // The worker's own connection also serves the activities that read Temporal (the record sweeper),
    // with the same converter: the final query answers it records are decoded.
    activities: createActivities({ dataConverter, ...options.deps, temporal: options.deps.temporal ?? new Client({ connection, namespace: options.namespace, dataConverter }) }),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    // A case cached on a worker that died moves to another worker after this, not the 10 s default:
    // its next task (an update, an activity's result) waits this long on the dead worker's queue.
    // Not shorter: a live worker whose task slots are all busy does not poll its sticky queue either,
    // and a task that times out there goes to the back of the shared queue and is replayed in full.
    stickyQueueScheduleToStartTimeout: '3 seconds',
    // A task the worker has taken but not finished within the workflow task timeout (10 s) times out
    // and is replayed from scratch, which costs more still. The SDK's defaults (40 tasks in hand, one
    // workflow thread) did exactly that when a restarted worker took the replays of every case in
    // flight at once on a busy machine (README "Chaos suite"). Fewer in hand, on two threads, keep
    // each one well inside the timeout; the rest wait on the server's queue, where waiting costs nothing.
    maxConcurrentWorkflowTaskExecutions: 16,
    workflowThreadPoolSize: 2,
    maxCachedWorkflows: options.maxCachedWorkflows ?? MAX_CACHED_WORKFLOWS,
  });
  return { worker, connection };
}
