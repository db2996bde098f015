import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { ServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { buildApp } from '../../api/app.js';
import { mintToken, type Actor } from '../../api/auth.js';
import { MAX_ID_LENGTH, MAX_JSON_DEPTH } from '../../api/schemas.js';
import { listCalendarVersions, loadCalendarVersion } from '../../db/queries/calendar.js';
import type { DatabaseHandle } from '../../db/client.js';
import type { ClockSpec } from '../../workflows/sla.definitions.js';
import { startE2e, type E2eStack } from '../support/e2e.js';
import { bearer, eventually, testConfig, testDatabase, uniqueId } from '../support/env.js';

/** RFC 9457: the one error body of the API, whatever went wrong. */
function expectProblem(res: LightMyRequestResponse, status: number, kind: string) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const body = res.json();
  expect(Object.keys(body).filter((k) => !['type', 'title', 'status', 'detail', 'instance', 'requestId', 'errors'].includes(k))).toEqual([]);
  expect(body).toMatchObject({ type: `urn:dvcqg:problem:${kind}`, status, title: expect.any(String), detail: expect.any(String), instance: expect.any(String) });
  expect(body.requestId).toBe(res.headers['x-request-id']);
  return body as { detail: string; errors?: { path: string; message: string }[] };
}

describe('one problem+json shape for every error, and nothing changed', () => {
  const config = testConfig();
  let app: FastifyInstance;
  let database: DatabaseHandle;
  const vpcp: Actor = { userId: uniqueId('vpcp-officer'), role: 'vpcp', agency: 'VPCP' };
  const officer: Actor = { userId: uniqueId('btp-officer'), role: 'agency', agency: 'BTP' };
  // A valid override of a far-future date: any request below that stores it has failed the test.
  const override = { date: '2099-06-15', kind: 'dayOff', name: 'Should not exist', nameVi: 'Không được lưu', source: 'Thông báo thử nghiệm' };
  const post = (payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/v1/calendar/overrides', headers: { 'content-type': 'application/json', ...headers }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });

  beforeAll(async () => {
    app = await buildApp(config, undefined, false);
    database = testDatabase();
  });
  afterAll(async () => {
    // Nothing any of these requests sent was stored.
    const versions = await listCalendarVersions(database.db);
    expect(versions.filter((v) => v.createdBy === vpcp.userId || v.createdBy === officer.userId)).toEqual([]);
    expect((await loadCalendarVersion(database.db))!.overrides.some((o) => o.date === override.date)).toBe(false);
    await app?.close();
    await database?.close();
  });

  it('a malformed JSON body is 400 malformed-json', async () => {
    const res = await post('{"date": "2099-06-15", ', { authorization: await bearer(config, vpcp) });
    expectProblem(res, 400, 'malformed-json');
  });

  it('wrong types are 400 validation, with the field in errors[]', async () => {
    const res = await post({ ...override, date: 20990615, kind: 7 }, { authorization: await bearer(config, vpcp) });
    const body = expectProblem(res, 400, 'validation');
    expect(body.errors?.map((e) => e.path).sort()).toEqual(['body.date', 'body.kind']);
    const query = await app.inject({ method: 'GET', url: '/v1/calendar/deadline?from=2026-03-02T08:00:00Z&amount=three&unit=workingDays', headers: { authorization: await bearer(config, officer) } });
    expect(expectProblem(query, 400, 'validation').errors?.[0]?.path).toBe('querystring.amount');
  });

  it('missing fields are 400 validation, one error per field', async () => {
    const res = await post({ date: override.date }, { authorization: await bearer(config, vpcp) });
    const body = expectProblem(res, 400, 'validation');
    expect(body.errors?.map((e) => e.path).sort()).toEqual(['body.kind', 'body.name', 'body.nameVi', 'body.source']);
  });

  it('an unknown route is 404 not-found', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/calendar/nowhere?x=1', headers: { authorization: await bearer(config, officer) } });
    expect(expectProblem(res, 404, 'not-found').detail).toBe('No route GET /v1/calendar/nowhere');
  });

  it('no token is 401 unauthenticated, before the body is even read', async () => {
    expectProblem(await post(override), 401, 'unauthenticated');
    expectProblem(await post('{not json'), 401, 'unauthenticated');
  });

  it('an invalid or expired token is 401 unauthenticated', async () => {
    const forged = await mintToken({ secret: 'another-secret-of-at-least-32-characters', issuer: config.AUTH_JWT_ISSUER }, vpcp);
    expect(expectProblem(await post(override, { authorization: `Bearer ${forged}` }), 401, 'unauthenticated').detail).toMatch(/invalid/);
    expectProblem(await post(override, { authorization: 'Bearer not-a-jwt' }), 401, 'unauthenticated');
    expectProblem(await post(override, { authorization: 'Basic dnBjcDpzZWNyZXQ=' }), 401, 'unauthenticated');
    const expired = await mintToken({ secret: config.AUTH_JWT_SECRET, issuer: config.AUTH_JWT_ISSUER }, vpcp, '1 hour ago');
    expect(expectProblem(await post(override, { authorization: `Bearer ${expired}` }), 401, 'unauthenticated').detail).toMatch(/expired/);
  });

  it('SPEC §1: a role without the right is 403 wrong-role', async () => {
    const res = await post(override, { authorization: await bearer(config, officer) });
    expect(expectProblem(res, 403, 'wrong-role').detail).toContain('allowed: vpcp');
  });

  it('a URL over 16 KiB is refused by the HTTP parser as 431 problem+json, as the OpenAPI document says', async () => {
    // Only a real socket reaches Node's parser (inject does not), so this one listens.
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${address}/v1/audit/workflows/x/timeline?token=${'a'.repeat(17 * 1024)}`, { headers: { authorization: await bearer(config, officer) } });
    expect(res.status).toBe(431);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toEqual({ type: 'urn:dvcqg:problem:headers-too-large', title: 'Request Header Fields Too Large', status: 431, detail: expect.stringContaining('16 KiB') });
    const documented = (app.swagger() as unknown as { paths: Record<string, Record<string, { responses: Record<string, { content?: object }> }>> }).paths;
    expect(documented['/v1/audit/workflows/{id}/timeline']!.get!.responses['431']!.content).toHaveProperty(['application/problem+json']);
  });
});

describe('hostile input: refused as a problem, never stored, never a 500', () => {
  const config = testConfig();
  let app: FastifyInstance;
  const vpcp: Actor = { userId: uniqueId('vpcp-officer'), role: 'vpcp', agency: 'VPCP' };
  const btp: Actor = { userId: uniqueId('btp-officer'), role: 'agency', agency: 'BTP' };
  const as = async (actor: Actor) => ({ authorization: await bearer(config, actor) });
  const send = async (actor: Actor | undefined, method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method, url,
      headers: { ...(actor ? await as(actor) : {}), ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    });
  const decision = (overrides: Record<string, unknown>) => ({
    agency: 'BTP', number: `${uniqueId('QĐ')}/QĐ-BTP`, title: 'Quyết định công bố thủ tục hành chính', authorityKind: 'minister',
    signedOn: '2026-03-02', legalEffectiveOn: '2026-05-01', ...overrides,
  });
  const paths = (body: { errors?: { path: string }[] }) => body.errors?.map((e) => e.path).sort();

  beforeAll(async () => {
    app = await buildApp(config, undefined, false);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a NUL byte in a body string is 400 validation, with the field in errors[]', async () => {
    const res = await send(btp, 'POST', '/v1/tthc/decisions', decision({ title: 'Quyết định\u0000 công bố' }));
    expect(paths(expectProblem(res, 400, 'validation'))).toEqual(['body.title']);
    // C1 controls and unpaired surrogates too: PostgreSQL text and UTF-8 payloads cannot hold them faithfully.
    const c1 = await send(btp, 'POST', '/v1/tthc/decisions', decision({ number: 'QĐ\u0085 1', title: 'Quyết định \ud800 công bố' }));
    expect(paths(expectProblem(c1, 400, 'validation'))).toEqual(['body.number', 'body.title']);
  });

  it('a NUL byte in a query parameter is 400 validation', async () => {
    expect(paths(expectProblem(await send(vpcp, 'GET', '/v1/payments?agency=BTP%00'), 400, 'validation'))).toEqual(['querystring.agency']);
    expect(paths(expectProblem(await send(undefined, 'GET', '/v1/tthc/procedures?name=khai%00sinh'), 400, 'validation'))).toEqual(['querystring.name']);
  });

  it('Art 16.3: signedOn must be a real calendar date: 2026-02-30 and 2026-13-45 are 400 validation', async () => {
    expect(paths(expectProblem(await send(btp, 'POST', '/v1/tthc/decisions', decision({ signedOn: '2026-02-30' })), 400, 'validation'))).toEqual(['body.signedOn']);
    expect(paths(expectProblem(await send(btp, 'POST', '/v1/tthc/decisions', decision({ legalEffectiveOn: '2026-13-45' })), 400, 'validation'))).toEqual(['body.legalEffectiveOn']);
  });

  it(`a case id of up to MAX_ID_LENGTH (${MAX_ID_LENGTH}) characters is addressable: an unknown one is 404 not-found, not 414`, async () => {
    for (const length of [200, 201, MAX_ID_LENGTH]) {
      expectProblem(await send(vpcp, 'GET', `/v1/payments/${'p'.repeat(length)}`), 404, 'not-found');
      expectProblem(await send(vpcp, 'GET', `/v1/refunds/${'r'.repeat(length)}`), 404, 'not-found');
    }
  });

  it('a case id longer than MAX_ID_LENGTH is 400 validation, however long', async () => {
    expect(paths(expectProblem(await send(vpcp, 'GET', `/v1/payments/${'p'.repeat(MAX_ID_LENGTH + 1)}`), 400, 'validation'))).toEqual(['params.paymentId']);
    expectProblem(await send(vpcp, 'GET', `/v1/payments/${'p'.repeat(5_000)}`), 400, 'validation');
    expectProblem(await send(vpcp, 'GET', `/v1/refunds/${'%E1%BA%A1'.repeat(3_000)}`), 400, 'validation');
  });

  it(`a JSON body nested 5,000 deep is 400 validation (at most ${MAX_JSON_DEPTH} levels), not a 500`, async () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expectProblem(await send(vpcp, 'POST', '/v1/calendar/overrides', deep(5_000)), 400, 'validation');
    const nested = `{"date":"2099-06-15","kind":"dayOff","name":${deep(5_000)},"nameVi":"x","source":"Thông báo thử nghiệm"}`;
    expect(paths(expectProblem(await send(vpcp, 'POST', '/v1/calendar/overrides', nested), 400, 'validation'))).toEqual(['body']);
    // Brackets inside strings are text, not nesting.
    const text = JSON.stringify({ ...decision({}), title: '['.repeat(5_000) });
    expect(paths(expectProblem(await send(btp, 'POST', '/v1/tthc/decisions', text), 400, 'validation'))).toEqual(['body.title']);
  });

  it('RFC 6750: every 401 carries WWW-Authenticate: Bearer', async () => {
    const none = await send(undefined, 'GET', '/v1/payments');
    expectProblem(none, 401, 'unauthenticated');
    expect(none.headers['www-authenticate']).toMatch(/^Bearer\b/);
    const forged = await send(undefined, 'GET', '/v1/payments', undefined, { authorization: 'Bearer not-a-jwt' });
    expectProblem(forged, 401, 'unauthenticated');
    expect(forged.headers['www-authenticate']).toMatch(/^Bearer\b/);
  });

  it('a body over the limit is 413 and an unknown media type 415, both as problems', async () => {
    expectProblem(await send(vpcp, 'POST', '/v1/calendar/overrides', JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) })), 413, 'payload-too-large');
    expectProblem(await send(vpcp, 'POST', '/v1/calendar/overrides', '<override/>', { 'content-type': 'application/xml' }), 415, 'unsupported-media-type');
  });

  it('numbers are bounded to what PostgreSQL stores: calendar version 2147483648 is 400, not a database error', async () => {
    expect(paths(expectProblem(await send(btp, 'GET', '/v1/calendar/versions/2147483648'), 400, 'validation'))).toEqual(['params.version']);
    expectProblem(await send(btp, 'GET', '/v1/calendar/versions/2147483647'), 404, 'not-found');
    expectProblem(await send(vpcp, 'GET', '/v1/supervision/breaches?page=1000000000000'), 400, 'validation');
  });
});

describe('faults of Temporal and PostgreSQL map to problems', () => {
  const config = testConfig();
  let app: FastifyInstance;
  const grpcUnavailable = () => Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14, details: 'No connection established', metadata: {} });
  const postgresError = (code: string, message: string) => Object.assign(new Error(message), { name: 'PostgresError', code });
  const thrown: Record<string, () => Error> = {
    busy: () => new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type: 'Busy', message: 'cancel: the case is busy with "debit"; try again in a moment', nonRetryable: true })),
    transition: () => new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type: 'InvalidTransition', message: 'a debited payment cannot be cancelled', nonRetryable: true })),
    closed: () => new WorkflowNotFoundError('workflow execution already completed', 'payment-BTP-1', undefined),
    otherProcess: () => new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.nonRetryable('No registered handler for update: cancelPaymentUpdate')),
    temporalDown: () => new ServiceError('Failed to query Workflow', { cause: grpcUnavailable() }),
    // drizzle wraps the driver's error; its own message carries the query and the parameters.
    dataError: () => Object.assign(new Error('Failed query: insert into t values ($1)\nparams: secret-value'), { cause: postgresError('22021', 'invalid byte sequence for encoding "UTF8": 0x00') }),
    outOfRange: () => postgresError('22003', 'value "2147483648" is out of range for type integer'),
  };

  beforeAll(async () => {
    app = await buildApp(config, undefined, false);
    app.get('/test-only/throw/:what', async (request) => {
      throw thrown[(request.params as { what: string }).what]!();
    });
  });
  afterAll(async () => {
    await app?.close();
  });
  const thrownAs = (what: string) => app.inject({ method: 'GET', url: `/test-only/throw/${what}` });

  it('a case busy with another action is 409 busy with Retry-After: 1, a type apart from invalid-transition', async () => {
    const busy = await thrownAs('busy');
    expect(expectProblem(busy, 409, 'busy').detail).toMatch(/busy with "debit"/);
    expect(busy.headers['retry-after']).toBe('1');
    const transition = await thrownAs('transition');
    expectProblem(transition, 409, 'invalid-transition');
    expect(transition.headers['retry-after']).toBeUndefined();
  });

  it('an action on a case that has ended is 409 case-closed', async () => {
    expect(expectProblem(await thrownAs('closed'), 409, 'case-closed').detail).toContain('payment-BTP-1');
  });

  it('an action on a case of another process (update not registered) is 404 not-found', async () => {
    expectProblem(await thrownAs('otherProcess'), 404, 'not-found');
  });

  it('Temporal unreachable is 503 unavailable with Retry-After', async () => {
    const res = await thrownAs('temporalDown');
    expectProblem(res, 503, 'unavailable');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('PostgreSQL data errors (SQLSTATE class 22) are 400 validation, never echoing the parameters', async () => {
    const res = await thrownAs('dataError');
    expectProblem(res, 400, 'validation');
    expect(res.body).not.toContain('secret-value');
    expectProblem(await thrownAs('outOfRange'), 400, 'validation');
  });

  it('PostgreSQL unreachable is 503 unavailable with Retry-After', async () => {
    const down = await buildApp(testConfig({ DATABASE_URL: 'postgres://dvcqg:dvcqg@127.0.0.1:1/nowhere' }), undefined, false);
    try {
      const res = await down.inject({ method: 'GET', url: '/v1/agencies', headers: { authorization: await bearer(config, { userId: 'auditor', role: 'auditor' }) } });
      expectProblem(res, 503, 'unavailable');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await down.close();
    }
  });
});

describe('actions on cases Temporal cannot act on (dev server, real worker)', () => {
  let stack: E2eStack;
  const btp: Actor = { userId: uniqueId('btp-officer'), role: 'agency', agency: 'BTP' };
  const spec: ClockSpec = {
    key: 'handle', article: 'Art 42.3a', step: 'The agency handles the case', stepVi: 'Cơ quan xử lý hồ sơ',
    owner: 'BTP', ownerKind: 'agency', amount: 2, unit: 'workingDays', stage: 'handling',
  };
  const startFixture = async () => {
    const workflowId = uniqueId('fixture');
    const handle = await stack.app.temporal.workflow.start('slaFixtureWorkflow', { taskQueue: stack.config.TASK_QUEUE, workflowId, args: [{ agency: 'BTP', spec }] });
    await eventually(() => handle.describe(), (d) => d.historyLength > 3);
    return handle;
  };

  beforeAll(async () => {
    stack = await startE2e({ workflowsPath: fileURLToPath(new URL('../fixtures/sla-fixture.workflow.ts', import.meta.url)) });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('an action on a case of another process is 404 not-found (POST /v1/payments/<not a payment>/cancel)', async () => {
    const handle = await startFixture();
    try {
      const res = await stack.call<{ type: string }>('POST', `/v1/payments/${handle.workflowId}/cancel`, btp, { reason: 'nhầm hồ sơ' });
      expect(res.status).toBe(404);
      expect(res.body.type).toBe('urn:dvcqg:problem:not-found');
    } finally {
      await handle.terminate('test finished');
    }
  });

  it('an action on a case that has ended is 409 case-closed', async () => {
    const handle = await startFixture();
    await handle.terminate('closed for the test');
    const res = await stack.call<{ type: string }>('POST', `/v1/payments/${handle.workflowId}/cancel`, btp, { reason: 'quá hạn' });
    expect(res.status).toBe(409);
    expect(res.body.type).toBe('urn:dvcqg:problem:case-closed');
  });
});
