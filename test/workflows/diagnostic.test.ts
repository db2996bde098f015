import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities/index.js';
import type { DatabaseHandle } from '../../db/client.js';
import { diagnosticWorkflowId, type DiagnosticInput, type DiagnosticResult } from '../../workflows/diagnostic.definitions.js';
import { testDatabase, testLogger, timeSkippingEnv, uniqueId, workflowBundle } from '../support/env.js';

describe('time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  let database: DatabaseHandle;

  beforeAll(async () => {
    env = await timeSkippingEnv();
    database = testDatabase();
  });
  afterAll(async () => {
    await env?.teardown();
    await database?.close();
  });

  it('a workflow holding 30 days of workflow time finishes in seconds of wall time, with its activity writing to PostgreSQL', async () => {
    const taskQueue = uniqueId('tq');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities({ db: database.db, logger: testLogger() }),
    });
    const wallStart = Date.now();
    const workflowStart = await env.currentTimeMs();
    const input: DiagnosticInput = { requestedBy: 'test', hold: '30 days' };
    const result = (await worker.runUntil(
      env.client.workflow.execute('diagnosticWorkflow', { taskQueue, workflowId: diagnosticWorkflowId(uniqueId('d')), args: [input] }),
    )) as DiagnosticResult;
    const workflowElapsedDays = (Date.parse(result.heldUntil ?? '') - workflowStart) / 86_400_000;
    expect(workflowElapsedDays).toBeGreaterThanOrEqual(30);
    expect(workflowElapsedDays).toBeLessThan(31);
    expect(Date.now() - wallStart).toBeLessThan(20_000);
    expect(Date.parse(result.writtenAt)).not.toBeNaN();
  });
});
