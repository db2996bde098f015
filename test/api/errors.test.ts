import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../api/app.js';
import { mintToken, type Actor } from '../../api/auth.js';
import { listCalendarVersions, loadCalendarVersion } from '../../db/queries/calendar.js';
import type { DatabaseHandle } from '../../db/client.js';
import { bearer, testConfig, testDatabase, uniqueId } from '../support/env.js';

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
});
