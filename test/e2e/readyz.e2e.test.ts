import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2e, type E2eStack } from '../support/e2e.js';

describe('deep readiness: HTTP → Temporal dev server → worker → activity → PostgreSQL → HTTP', () => {
  let stack: E2eStack;
  beforeAll(async () => {
    stack = await startE2e();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('reports ready with the row the worker wrote', async () => {
    const vpcp = { userId: 'ops-1', role: 'vpcp' as const, agency: 'VPCP' };
    const res = await stack.call<{ status: string; checks: { path?: { ok: boolean; workflowId?: string; writtenAt?: string } } }>('GET', '/readyz?deep=1', vpcp);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ready');
    expect(res.body.checks.path?.ok).toBe(true);
    expect(res.body.checks.path?.workflowId).toMatch(/^diagnostic-/);
    expect(Date.parse(res.body.checks.path?.writtenAt ?? '')).not.toBeNaN();
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('liveness answers without a token', async () => {
    expect((await stack.call('GET', '/healthz')).status).toBe(200);
  });

  it('serves the OpenAPI document generated from the zod schemas, and Swagger UI', async () => {
    const doc = await stack.call<{ openapi: string; paths: Record<string, unknown> }>('GET', '/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/agencies/', '/v1/calendar/deadline', '/v1/feedback/']));
    const ui = await fetch(`${stack.baseUrl}/docs/`);
    expect(ui.status).toBe(200);
  });
});
