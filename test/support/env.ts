import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig, type AppConfig } from '../../config/index.js';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import { createLogger } from '../../runtime/logger.js';
import { workflowsPath } from '../../runtime/worker.js';
import { mintToken, type Actor } from '../../api/auth.js';

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
      ...overrides,
    },
  );
}

export function testDatabase(): DatabaseHandle {
  return createDatabase(inject('databaseUrl'), { max: 4 });
}

export const testLogger = () => createLogger('silent');

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundle the workflow code once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
  return bundle;
}

/** The native time-skipping test server (weeks of workflow time in seconds). */
export function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('testServerPath') } },
  });
}

export const uniqueId = (prefix: string) => `${prefix}-${randomUUID()}`;

export function bearer(config: AppConfig, actor: Actor): Promise<string> {
  return mintToken({ secret: config.AUTH_JWT_SECRET, issuer: config.AUTH_JWT_ISSUER }, actor).then((t) => `Bearer ${t}`);
}
