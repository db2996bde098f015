import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, type Worker } from '@temporalio/worker';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import { freePort } from '../../scripts/runtime.js';
import { createLogger } from '../../runtime/logger.js';
import { createWorker, installTemporalLogging } from '../../runtime/worker.js';
import { diagnosticWorkflowId } from '../../workflows/diagnostic.definitions.js';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

// No test/support/env.js here: it installs the Temporal Runtime (once per process) without metrics.
describe("the worker's Temporal SDK metrics: the SDK's own Prometheus exporter (TEMPORAL_METRICS_ADDRESS)", () => {
  let address: string;
  let database: DatabaseHandle;
  let worker: Worker;
  let running: Promise<void>;
  let connection: Connection;
  const taskQueue = `worker-metrics-${randomUUID()}`;

  beforeAll(async () => {
    address = `127.0.0.1:${await freePort()}`;
    installTemporalLogging(createLogger('silent'), address);
    database = createDatabase(inject('databaseUrl'), { max: 2 });
    ({ worker } = await createWorker({
      address: inject('temporalAddress'), namespace: 'default', taskQueue,
      deps: { db: database.db, logger: createLogger('silent') },
      workflowBundle: await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('../../workflows/diagnostic.workflow.ts', import.meta.url)), logger: silent }),
    }));
    running = worker.run();
    connection = await Connection.connect({ address: inject('temporalAddress') });
  }, 120_000);
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await connection?.close();
    await database?.close();
  });

  it('serves the worker\'s poll, task and workflow metrics in Prometheus text format', async () => {
    const client = new Client({ connection });
    const handle = await client.workflow.start('diagnosticWorkflow', { taskQueue, workflowId: diagnosticWorkflowId(randomUUID()), args: [{ requestedBy: 'worker-metrics-test' }] });
    await handle.result();
    // The exporter reads the SDK's meters, which are updated asynchronously.
    let families: ReturnType<typeof parsePrometheusTextFormat> = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      const res = await fetch(`http://${address}/metrics`);
      expect(res.status).toBe(200);
      families = parsePrometheusTextFormat(await res.text());
      if (families.some((f) => f.name === 'temporal_workflow_completed')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const names = families.map((f) => f.name);
    expect(names).toContain('temporal_workflow_completed');
    expect(names).toContain('temporal_activity_execution_latency');
    const completed = families.find((f) => f.name === 'temporal_workflow_completed');
    expect(completed?.metrics.some((m) => m.labels?.task_queue === taskQueue && Number(m.value) >= 1)).toBe(true);
  });
});
