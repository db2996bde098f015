import type { FastifyInstance } from 'fastify';
import type { Worker } from '@temporalio/worker';
import type { AppConfig } from '../../config/index.js';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { createWorker } from '../../runtime/worker.js';
import { dataConverterFor } from '../../codec/encryption.js';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import { bearer, quietBundle, testConfig, testLogger, workflowBundle } from './env.js';

export interface E2eStack {
  config: AppConfig;
  database: DatabaseHandle;
  app: FastifyInstance;
  baseUrl: string;
  /** fetch against the running API as `actor` (no token when undefined); JSON body in and out. */
  call<T = unknown>(method: string, path: string, actor?: Actor, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }>;
  stop(): Promise<void>;
}

export interface E2eOptions {
  /** Limits the bundle to one process's workflows (default: every workflow). */
  workflowsPath?: string | URL;
  /** More workers with the real activities, each on its own task queue (fixture workflows that are not deployed). */
  extraWorkers?: { taskQueue: string; workflowsPath: string | URL }[];
  /** Configuration the suite needs (e.g. TEMPORAL_PAYLOAD_KEYS), for the worker and the API alike. */
  config?: Partial<AppConfig>;
}

/**
 * The real system for an end-to-end suite: a worker on the run's Temporal dev server (its own
 * task queue), the API listening on a free port, and the run's PostgreSQL database.
 */
export async function startE2e(options: E2eOptions = {}): Promise<E2eStack> {
  const config = testConfig(options.config);
  const database = createDatabase(config.DATABASE_URL);
  const queues = [{ taskQueue: config.TASK_QUEUE, workflowsPath: options.workflowsPath }, ...(options.extraWorkers ?? [])];
  const workers: { worker: Worker; running: Promise<void> }[] = [];
  for (const { taskQueue, workflowsPath } of queues) {
    const { worker } = await createWorker({
      address: config.TEMPORAL_ADDRESS,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue,
      deps: { db: database.db, logger: testLogger() },
      workflowBundle: await quietBundle(workflowsPath),
      dataConverter: dataConverterFor(config),
    });
    workers.push({ worker, running: worker.run() });
  }
  const app = await buildApp(config, undefined, false);
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });

  return {
    config,
    database,
    app,
    baseUrl,
    async call<T>(method: string, path: string, actor?: Actor, body?: unknown, headers: Record<string, string> = {}) {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          ...(actor ? { authorization: await bearer(config, actor) } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
    },
    async stop() {
      await app.close();
      for (const { worker } of workers) stopWorker(worker);
      await Promise.all(workers.map((w) => w.running));
      await database.close();
    },
  };
}

function stopWorker(worker: Worker): void {
  if (worker.getState() === 'RUNNING') worker.shutdown();
}

/**
 * A worker a test stops and starts again (a case waiting with no worker polling, then moving on):
 * `start` is a no-op while it runs, `stop` drains it (its in-flight tasks finish).
 */
export function stoppableWorker(config: AppConfig, database: DatabaseHandle): { start(): Promise<void>; stop(): Promise<void>; readonly running: boolean } {
  let current: { worker: Worker; run: Promise<void> } | undefined;
  return {
    get running() {
      return current !== undefined;
    },
    async start() {
      if (current) return;
      const { worker } = await createWorker({
        address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TASK_QUEUE,
        deps: { db: database.db, logger: testLogger() }, workflowBundle: await workflowBundle(),
      });
      current = { worker, run: worker.run() };
    },
    async stop() {
      if (!current) return;
      const { worker, run } = current;
      current = undefined;
      worker.shutdown();
      await run;
    },
  };
}
