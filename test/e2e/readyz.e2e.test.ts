import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Worker } from '@temporalio/worker';
import { buildApp } from '../../api/app.js';
import { createWorker } from '../../runtime/worker.js';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import { testConfig, testLogger, workflowBundle } from '../support/env.js';

describe('deep readiness: HTTP → Temporal dev server → worker → activity → PostgreSQL → HTTP', () => {
  const config = testConfig();
  let app: FastifyInstance;
  let worker: Worker;
  let running: Promise<void>;
  let database: DatabaseHandle;
  let baseUrl: string;

  beforeAll(async () => {
    database = createDatabase(config.DATABASE_URL);
    ({ worker } = await createWorker({
      address: config.TEMPORAL_ADDRESS,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TASK_QUEUE,
      deps: { db: database.db, logger: testLogger() },
      workflowBundle: await workflowBundle(),
    }));
    running = worker.run();
    app = await buildApp(config, undefined, false);
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    worker?.shutdown();
    await running;
    await database?.close();
  });

  it('reports ready with the row the worker wrote', async () => {
    const res = await fetch(`${baseUrl}/readyz?deep=1`);
    const body = (await res.json()) as { status: string; checks: { path?: { ok: boolean; workflowId?: string; writtenAt?: string } } };
    expect(res.status).toBe(200);
    expect(body.status).toBe('ready');
    expect(body.checks.path?.ok).toBe(true);
    expect(body.checks.path?.workflowId).toMatch(/^diagnostic-/);
    expect(Date.parse(body.checks.path?.writtenAt ?? '')).not.toBeNaN();
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('liveness answers without a token', async () => {
    const res = await fetch(`${baseUrl}/healthz`);
    expect(res.status).toBe(200);
  });

  it('serves the OpenAPI document generated from the zod schemas, and Swagger UI', async () => {
    const doc = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/v1/agencies/');
    const ui = await fetch(`${baseUrl}/docs/`);
    expect(ui.status).toBe(200);
  });
});
