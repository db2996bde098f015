import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
// @temporalio/proto is CommonJS without static named exports: take the namespace from its default.
import proto from '@temporalio/proto';
const { temporal } = proto;
import { createActivities } from '../../activities/index.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import type { WorkflowHandle } from '@temporalio/client';
import { loadConfig, type AppConfig } from '../../config/index.js';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import { createLogger } from '../../runtime/logger.js';
import { workflowsPath } from '../../runtime/worker.js';
import { authConfigOf, mintToken, type Actor } from '../../api/auth.js';

// Keep test output readable: only the SDK's warnings and errors.
Runtime.install({ logger: new DefaultLogger('WARN') });

/** Configuration pointing at the run's real database and Temporal server, with its own task queue. */
export function testConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return loadConfig(
    { NODE_ENV: 'test', LOG_LEVEL: 'silent' },
    {
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TASK_QUEUE: `test-${randomUUID()}`,
      // A test file bundles workflow code on its own event loop: no load shedding unless a test asks for it.
      PRESSURE_MAX_EVENT_LOOP_DELAY_MS: 0,
      ...overrides,
    },
  );
}

export function testDatabase(): DatabaseHandle {
  return createDatabase(inject('databaseUrl'), { max: 4 });
}

export const testLogger = () => createLogger('silent');

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

/** Bundle workflow code quietly: every workflow by default, or one file (a process, a fixture). */
export function quietBundle(path: string | URL = workflowsPath): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: path instanceof URL ? fileURLToPath(path) : path, logger: silent });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundle every workflow once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= quietBundle();
  return bundle;
}

/** The native time-skipping test server (weeks of workflow time in seconds). */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('testServerPath') } },
  });
  // The test server, like a production cluster, must know the custom search attributes.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTES.map((a) => [a.name, temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${a.type}`]]),
    ),
  });
  return env;
}

export interface TimeSkippingHarness {
  env: TestWorkflowEnvironment;
  database: DatabaseHandle;
  /** Runs a worker with the real activities on a fresh task queue while `fn` drives workflows on it. */
  run<T>(fn: (taskQueue: string) => Promise<T>): Promise<T>;
  /** A worker on a fresh task queue that runs until teardown, for a file whose workflows share one queue. */
  serve(): Promise<string>;
  teardown(): Promise<void>;
}

/**
 * The time-skipping server, the run's database and a worker bundle with the real activities.
 * `workflowsPath` limits the bundle to one process's workflows or a fixture (default: every workflow).
 */
export async function timeSkippingHarness(options: { workflowsPath?: string | URL } = {}): Promise<TimeSkippingHarness> {
  const [env, bundle] = await Promise.all([timeSkippingEnv(), options.workflowsPath ? quietBundle(options.workflowsPath) : workflowBundle()]);
  const database = testDatabase();
  const served: { worker: Worker; running: Promise<void> }[] = [];
  const worker = async () => {
    const taskQueue = uniqueId('tq');
    const created = await Worker.create({
      connection: env.nativeConnection, taskQueue, workflowBundle: bundle,
      activities: createActivities({ db: database.db, logger: testLogger() }),
    });
    return { taskQueue, worker: created };
  };
  return {
    env,
    database,
    async run(fn) {
      const { taskQueue, worker: w } = await worker();
      return w.runUntil(fn(taskQueue));
    },
    async serve() {
      const { taskQueue, worker: w } = await worker();
      served.push({ worker: w, running: w.run() });
      return taskQueue;
    },
    async teardown() {
      for (const s of served) if (s.worker.getState() === 'RUNNING') s.worker.shutdown();
      await Promise.all(served.map((s) => s.running));
      await env.teardown();
      await database.close();
    },
  };
}

export const uniqueId = (prefix: string) => `${prefix}-${randomUUID()}`;

export function bearer(config: AppConfig, actor: Actor): Promise<string> {
  return mintToken(authConfigOf(config), actor).then((t) => `Bearer ${t}`);
}

/** Polls until `fn` returns a value that passes `ok` (queries racing a workflow's first activities). */
export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not reached in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Terminates a test's long-lived case once none of its activities is in flight. Terminating with
 * an activity outstanding leaks the time-skipping server's lock (temporalio/sdk-java#1138), and a
 * later `env.sleep` then waits in real time.
 */
export async function terminateWhenIdle(handle: WorkflowHandle, reason = 'test finished'): Promise<void> {
  await eventually(() => handle.describe(), (d) => d.status.name !== 'RUNNING' || (d.raw.pendingActivities ?? []).length === 0);
  if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate(reason);
}
