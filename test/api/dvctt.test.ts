import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import { findService } from '../../db/queries/dvctt.js';
import { createDatabase, type DatabaseHandle } from '../../db/client.js';
import { bearer, testConfig, uniqueId } from '../support/env.js';

const btp: Actor = { userId: 'officer-btp', role: 'agency', agency: 'BTP' };
const bca: Actor = { userId: 'officer-bca', role: 'agency', agency: 'BCA' };
const vpcp: Actor = { userId: 'vpcp-1', role: 'vpcp', agency: 'VPCP' };

describe('DVCTT service register (Art 27.1, 28.1)', () => {
  const config = testConfig();
  let app: FastifyInstance;
  let database: DatabaseHandle;

  beforeAll(async () => {
    database = createDatabase(config.DATABASE_URL, { max: 2 });
    app = await buildApp(config, { db: database.db }, false);
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  const declaration = (code: string, overrides: Record<string, unknown> = {}) => ({ code, name: 'Đăng ký khai sinh', tthcCode: '1.001193', agency: 'BTP', level: 3, ...overrides });
  const post = async (actor: Actor | undefined, url: string, payload: unknown) =>
    app.inject({ method: 'POST', url: `/v1/dvctt${url}`, payload: payload as object, headers: actor ? { authorization: await bearer(config, actor) } : {} });

  it('Art 27.1: an agency declares its level 3/4 service once; the same declaration again is an idempotent replay', async () => {
    const code = uniqueId('DVC');
    const first = await post(btp, '/services', declaration(code));
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ code, status: 'declared', level: 3, declaredBy: 'officer-btp', currentRound: null });
    expect((await post(btp, '/services', declaration(code))).statusCode).toBe(200);
    const changed = await post(btp, '/services', declaration(code, { level: 4 }));
    expect(changed.statusCode).toBe(409);
    expect((await findService(database.db, code))?.level).toBe(3);
  });

  it('Art 27.1: only level 3 and 4 services with a TTHC code of a known agency are declared', async () => {
    expect((await post(btp, '/services', declaration(uniqueId('DVC'), { level: 2 }))).statusCode).toBe(400);
    expect((await post(btp, '/services', declaration(uniqueId('DVC'), { tthcCode: '' }))).statusCode).toBe(400);
    const unknown = await post({ ...btp, agency: 'NOPE' }, '/services', declaration(uniqueId('DVC'), { agency: 'NOPE' }));
    expect(unknown.statusCode).toBe(422);
  });

  it('Art 27.1: an agency declares only its own services, and VPCP does not declare for it — 403, nothing written', async () => {
    const code = uniqueId('DVC');
    expect((await post(bca, '/services', declaration(code))).statusCode).toBe(403);
    expect((await post(vpcp, '/services', declaration(code))).statusCode).toBe(403);
    expect((await post(undefined, '/services', declaration(code))).statusCode).toBe(401);
    expect(await findService(database.db, code)).toBeUndefined();
  });

  it('Art 28.1: only a declared service may enter the loop (404 otherwise); a declared one is not yet available for dossiers', async () => {
    const missing = await post(btp, `/services/${uniqueId('DVC')}/propose`, {});
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    const code = uniqueId('DVC');
    const tthcCode = uniqueId('1').slice(0, 24);
    expect((await post(btp, '/services', declaration(code, { tthcCode }))).statusCode).toBe(201);
    const availability = await app.inject({ method: 'GET', url: `/v1/dvctt/services/${code}/availability`, headers: { authorization: await bearer(config, vpcp) } });
    expect(availability.json()).toMatchObject({ status: 'declared', acceptsNewDossiers: false });
    const listed = async (actor: Actor) =>
      (await app.inject({ method: 'GET', url: `/v1/dvctt/services?status=declared&tthcCode=${tthcCode}`, headers: { authorization: await bearer(config, actor) } })).json();
    // Agencies list only their own services: BCA does not see BTP's, BTP and VPCP do.
    expect(await listed(bca)).toMatchObject({ items: [], total: 0 });
    expect((await listed(btp)).items.map((s: { code: string }) => s.code)).toEqual([code]);
    expect((await listed(vpcp)).items.map((s: { code: string; agency: string }) => [s.code, s.agency])).toEqual([[code, 'BTP']]);
  });
});
