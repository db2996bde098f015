import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { buildApp } from '../../api/app.js';
import type { Actor } from '../../api/auth.js';
import type { DatabaseHandle } from '../../db/client.js';
import { insertGrant, revokeGrant, upsertOfficer } from '../../db/queries/permissions.js';
import { PERMISSION_NAMES, PERMISSIONS, type Permission } from '../../domain/permissions/catalogue.js';
import { bearer, testConfig, testDatabase, uniqueId } from '../support/env.js';

/**
 * Officers and permissions through HTTP (`app.inject`): the catalogue against the routes, the
 * administrators' grants and revocations (Art 15.1a, 41.2, 48), the permission history, and the
 * local/test service-account rule. Every refusal here comes before a workflow is touched.
 */
describe('officer permissions', () => {
  const config = testConfig({ PERMISSION_CACHE_TTL_MS: 1000 });
  let app: FastifyInstance;
  let database: DatabaseHandle;
  const vpcp: Actor = { userId: uniqueId('vpcp-admin'), role: 'vpcp', agency: 'VPCP' };
  const officer = (agency: string, name: string): Actor => ({ userId: uniqueId(`${agency.toLowerCase()}-${name}`), role: agency === 'VPCP' ? 'vpcp' : 'agency', agency });

  async function call(actor: Actor | undefined, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, on = app) {
    return on.inject({
      method, url,
      headers: { ...(actor ? { authorization: await bearer(config, actor) } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
  }
  /** VPCP appoints `admin` as the administrator of its agency (Art 48.1). */
  async function appoint(admin: Actor) {
    const res = await call(vpcp, 'POST', '/v1/permissions/administrators', { agency: admin.agency, officer: admin.userId, name: 'Quản trị', reason: 'Quyết định phân công quản trị cấp cao' });
    expect(res.statusCode).toBe(201);
    return res.json();
  }
  async function register(admin: Actor, who: Actor, unit?: string) {
    const res = await call(admin, 'POST', '/v1/permissions/officers', { agency: who.agency, officer: who.userId, name: `Cán bộ ${who.userId}`, ...(unit ? { unit } : {}) });
    expect(res.statusCode).toBe(200);
  }
  async function grant(admin: Actor, who: Actor, permission: Permission, extra: Record<string, unknown> = {}) {
    return call(admin, 'POST', '/v1/permissions/grants', { agency: who.agency, officer: who.userId, permission, reason: 'Phân công nhiệm vụ', ...extra });
  }

  beforeAll(async () => {
    app = await buildApp(config, undefined, false);
    database = testDatabase();
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it('Art 41.1, 48.2: every route of the catalogue exists and refuses an officer without its permission, naming it', async () => {
    await app.ready();
    const document = app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const routes = PERMISSION_NAMES.flatMap((permission) => PERMISSIONS[permission].routes.map((route) => ({ permission, route })));
    expect(routes.length).toBeGreaterThan(40);
    // One managed officer of each role, with no grants at all.
    const bare = { agency: officer('BTP', 'bare'), vpcp: officer('VPCP', 'bare') };
    await upsertOfficer(database.db, { agency: 'BTP', officer: bare.agency.userId, name: 'Không có quyền', registeredBy: 'test' });
    await upsertOfficer(database.db, { agency: 'VPCP', officer: bare.vpcp.userId, name: 'Không có quyền', registeredBy: 'test' });
    for (const { permission, route } of routes) {
      const [method, path] = route.split(' ') as ['POST' | 'PUT' | 'DELETE', string];
      const openApiPath = path.replace(/:(\w+)/g, '{$1}');
      const documented = document.paths[openApiPath] ?? document.paths[`${openApiPath}/`];
      expect(documented?.[method.toLowerCase()], route).toBeDefined();
      const role = PERMISSIONS[permission].roles[0];
      const url = path.replace(':year', '2031').replace(':date', '2031-01-02').replace(/:(\w+)/g, (_m, name: string) => (name === 'agency' ? 'BTP' : `x-${name}`));
      const res = await call(bare[role], method, url);
      expect(res.statusCode, route).toBe(403);
      expect(res.json(), route).toMatchObject({ type: 'urn:dvcqg:problem:forbidden', errors: [{ path: 'permission', message: permission }] });
    }
  });

  it('Art 41.1, 48.2: every state-changing route open to officers declares a permission (or is listed here with the reason it needs none)', async () => {
    await app.ready();
    const document = app.swagger() as { paths: Record<string, Record<string, unknown>> };
    // Officer routes that change no case and no reference data: reading aids and the officer's own inbox.
    const NEEDS_NONE: Record<string, string> = {
      'POST /v1/audit/verify': 'checks an export the caller holds; changes nothing',
      'POST /v1/audit/view-token': 'a short-lived read token for the caller\'s own audit page',
      'POST /v1/audit/workflows/{id}/replay': 'a read: replays a history against the deployed code',
      'POST /v1/codec/decode': 'a read (codec server), role-limited to VPCP and auditors',
      'POST /v1/codec/encode': 'codec server protocol, role-limited to VPCP and auditors',
      'POST /v1/notifications/{id}/read': "marks the caller's own notice read",
    };
    const bare = { agency: officer('BTP', 'bare2'), vpcp: officer('VPCP', 'bare2') };
    await upsertOfficer(database.db, { agency: 'BTP', officer: bare.agency.userId, name: 'Không có quyền', registeredBy: 'test' });
    await upsertOfficer(database.db, { agency: 'VPCP', officer: bare.vpcp.userId, name: 'Không có quyền', registeredBy: 'test' });
    const undeclared: string[] = [];
    let officerRoutes = 0;
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const method of ['post', 'put', 'delete'] as const) {
        if (!operations[method] || !path.startsWith('/v1/')) continue;
        const url = path.replace('{year}', '2031').replace('{date}', '2031-01-02').replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'agency' ? 'BTP' : `x-${name}`));
        const answers = await Promise.all([bare.agency, bare.vpcp].map(async (who) => {
          const res = await call(who, method.toUpperCase() as 'POST' | 'PUT' | 'DELETE', url);
          const body = String(res.headers['content-type'] ?? '').includes('json') ? res.json() : {};
          return { status: res.statusCode, permission: (body.errors ?? []).some((e: { path?: string }) => e.path === 'permission') };
        }));
        if (answers.some((a) => a.permission)) { officerRoutes++; continue; }
        if (answers.every((a) => a.status === 403 || a.status === 401)) continue; // not an officer route (bank, Portal, auditor)
        const route = `${method.toUpperCase()} ${path.replace(/\/$/, '')}`;
        if (!NEEDS_NONE[route]) undeclared.push(route);
      }
    }
    expect(officerRoutes).toBeGreaterThan(40);
    expect(undeclared).toEqual([]);
  });

  it('Art 48.1–48.3: VPCP appoints an agency administrator, who registers units and officers and grants business permissions of its own agency only', async () => {
    const admin = officer('BTP', 'admin');
    const clerk = officer('BTP', 'clerk');
    const appointed = await appoint(admin);
    expect(appointed).toMatchObject({ agency: 'BTP', officer: admin.userId, permission: 'permissions.grant', grantedBy: `vpcp/VPCP/${vpcp.userId}`, revokedAt: null });
    const unitCode = uniqueId('vu-kstthc').slice(0, 60);
    expect((await call(admin, 'POST', '/v1/permissions/units', { agency: 'BTP', code: unitCode, name: 'Cục Kiểm soát TTHC' })).statusCode).toBe(200);
    await register(admin, clerk, unitCode);

    const granted = await grant(admin, clerk, 'tthc.enter');
    expect(granted.statusCode).toBe(201);
    expect(granted.json()).toMatchObject({ permission: 'tthc.enter', officer: clerk.userId, grantedBy: `agency/BTP/${admin.userId}`, reason: 'Phân công nhiệm vụ' });
    const me = await call(clerk, 'GET', '/v1/permissions/me');
    expect(me.json()).toMatchObject({ agency: 'BTP', serviceAccount: false, permissions: ['tthc.enter'] });

    // Not for another agency, not an administrator's permission, not to oneself, not a VPCP-only one, not back-dated.
    const foreign = officer('BYT', 'x');
    expect((await grant(admin, foreign, 'tthc.enter')).json().type).toBe('urn:dvcqg:problem:wrong-scope');
    expect((await grant(admin, clerk, 'permissions.grant')).statusCode).toBe(422);
    await register(admin, admin);
    expect((await grant(admin, admin, 'tthc.publish')).statusCode).toBe(403);
    expect((await grant(admin, clerk, 'tthc.review')).statusCode).toBe(422);
    expect((await grant(admin, clerk, 'tthc.publish', { validFrom: '2026-01-01T00:00:00+07:00' })).json().errors).toEqual([{ path: 'body.validFrom', message: 'now or later' }]);
    // An unregistered officer gets nothing; a clerk without the administrator's permission grants nothing.
    expect((await grant(admin, officer('BTP', 'ghost'), 'tthc.enter')).statusCode).toBe(422);
    const refused = await grant(clerk, admin, 'tthc.publish');
    expect(refused.statusCode).toBe(403);
    expect(refused.json().errors).toEqual([{ path: 'permission', message: 'permissions.grant' }]);
    // Only VPCP removes an administrator.
    expect((await call(admin, 'POST', `/v1/permissions/grants/${appointed.id}/revoke`, { reason: 'tự thu hồi' })).statusCode).toBe(422);
  });

  it('Art 41.2: a revoked permission is refused — at once by the instance that revoked it, within the cache lifetime by every other', async () => {
    expect(testConfig().PERMISSION_CACHE_TTL_MS).toBeLessThanOrEqual(30_000);
    const admin = officer('BTP', 'admin2');
    const moving = officer('BTP', 'moving');
    await appoint(admin);
    await register(admin, moving);
    const { id } = (await grant(admin, moving, 'tthc.enter')).json();
    const other = await buildApp(config, undefined, false);
    try {
      // The permission passes (the empty body is then refused as invalid): 400, not 403.
      const enter = (on: FastifyInstance) => call(moving, 'POST', '/v1/tthc/decisions', {}, on);
      expect((await enter(app)).statusCode).toBe(400);
      expect((await enter(other)).statusCode).toBe(400);
      const revoked = await call(admin, 'POST', `/v1/permissions/grants/${id}/revoke`, { reason: 'Chuyển công tác sang Bộ Y tế' });
      expect(revoked.json()).toMatchObject({ id, revokedBy: `agency/BTP/${admin.userId}`, revocationReason: 'Chuyển công tác sang Bộ Y tế' });
      const revokedAt = Date.now();
      expect((await enter(app)).statusCode).toBe(403);
      let status = 0;
      while (Date.now() - revokedAt < 10_000 && (status = (await enter(other)).statusCode) !== 403) await new Promise((r) => setTimeout(r, 100));
      expect(status).toBe(403);
      expect(Date.now() - revokedAt).toBeLessThan(config.PERMISSION_CACHE_TTL_MS + 1000);
    } finally {
      await other.close();
    }
  });

  it('Art 41.2: an officer who moves loses every business permission at once, planned ones too; an appointment as administrator stays for VPCP to remove', async () => {
    const admin = officer('BTP', 'admin3');
    const deputy = officer('BTP', 'deputy');
    await appoint(admin);
    const deputyAppointment = await appoint(deputy);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    expect((await grant(admin, deputy, 'tthc.enter')).statusCode).toBe(201);
    expect((await grant(admin, deputy, 'tthc.publish', { validFrom: tomorrow })).statusCode).toBe(201);
    const left = await call(admin, 'POST', `/v1/permissions/officers/${deputy.userId}/departure`, { agency: 'BTP', reason: 'Chuyển công tác' });
    expect(left.statusCode).toBe(200);
    expect(left.json().revoked.map((g: { permission: string }) => g.permission).sort()).toEqual(['tthc.enter', 'tthc.publish']);
    expect(left.json().kept).toEqual([expect.objectContaining({ id: deputyAppointment.id, permission: 'permissions.grant' })]);
    expect((await call(deputy, 'POST', '/v1/tthc/decisions', {})).statusCode).toBe(403);
    const removed = await call(vpcp, 'POST', `/v1/permissions/administrators/${deputyAppointment.id}/revoke`, { reason: 'Chuyển công tác' });
    expect(removed.json()).toMatchObject({ revokedBy: `vpcp/VPCP/${vpcp.userId}` });
    expect((await call(deputy, 'GET', '/v1/permissions/me')).json()).toMatchObject({ serviceAccount: false, permissions: [] });
  });

  it('Art 48: the permission history answers "who could publish for BTP on date D", and is append-only', async () => {
    const [early, late, revokedLater] = ['early', 'late', 'revoked'].map((n) => officer('BTP', `pub-${n}`)) as [Actor, Actor, Actor];
    for (const o of [early, late, revokedLater]) await upsertOfficer(database.db, { agency: 'BTP', officer: o.userId, name: `Cán bộ ${o.userId}`, registeredBy: 'test' });
    const at = (s: string) => new Date(s);
    // History as it was recorded at the time (the API refuses back-dated grants; a fixture may seed the past).
    await insertGrant(database.db, { agency: 'BTP', officer: early.userId, permission: 'tthc.publish', validFrom: at('2026-04-01T08:00:00+07:00'), validTo: at('2026-05-01T12:00:00+07:00'), grantedBy: 'agency/BTP/admin', reason: 'Tháng 4' });
    await insertGrant(database.db, { agency: 'BTP', officer: late.userId, permission: 'tthc.publish', validFrom: at('2026-05-02T08:00:00+07:00'), grantedBy: 'agency/BTP/admin', reason: 'Từ tháng 5' });
    const long = await insertGrant(database.db, { agency: 'BTP', officer: revokedLater.userId, permission: 'tthc.publish', validFrom: at('2026-03-01T08:00:00+07:00'), grantedBy: 'agency/BTP/admin', reason: 'Dài hạn' });
    await revokeGrant(database.db, { grantId: long.id, revokedBy: 'agency/BTP/admin', reason: 'Chuyển công tác', at: at('2026-05-01T23:59:00+07:00') });

    const mine = new Set([early.userId, late.userId, revokedLater.userId]);
    const holders = async (on: string, as: Actor = { userId: 'auditor-1', role: 'auditor' }) => {
      const res = await call(as, 'GET', `/v1/permissions/holders?permission=tthc.publish&agency=BTP&on=${on}`);
      expect(res.statusCode).toBe(200);
      return (res.json().holders as { officer: string }[]).map((h) => h.officer).filter((o) => mine.has(o)).sort();
    };
    expect(await holders('2026-05-01')).toEqual([early.userId, revokedLater.userId].sort());
    expect(await holders('2026-05-02')).toEqual([late.userId]);
    expect(await holders('2026-02-28')).toEqual([]);
    const day = (await call({ userId: 'auditor-1', role: 'auditor' }, 'GET', '/v1/permissions/holders?permission=tthc.publish&agency=BTP&on=2026-05-01')).json();
    expect(day).toMatchObject({ from: '2026-04-30T17:00:00.000Z', to: '2026-05-01T17:00:00.000Z' });
    expect(day.holders.find((h: { officer: string }) => h.officer === revokedLater.userId)).toMatchObject({ revocationReason: 'Chuyển công tác', reason: 'Dài hạn' });
    // Agencies read their own history only.
    expect((await call(officer('BYT', 'reader'), 'GET', '/v1/permissions/holders?permission=tthc.publish&agency=BTP&on=2026-05-01')).statusCode).toBe(403);
    // Nothing rewrites the record.
    const appendOnly = { cause: { message: expect.stringMatching(/append-only/) } };
    await expect(database.db.execute(sql`update permission_grants set reason = 'sửa' where id = ${long.id}`)).rejects.toMatchObject(appendOnly);
    await expect(database.db.execute(sql`delete from permission_revocations where grant_id = ${long.id}`)).rejects.toMatchObject(appendOnly);
  });

  it('project rule: an ungranted token is its agency\'s service account in the local/test profile only; production requires grants', async () => {
    const service = officer('BTP', 'service');
    expect((await call(service, 'GET', '/v1/permissions/me')).json()).toMatchObject({ serviceAccount: true, permissions: expect.arrayContaining(['tthc.enter', 'tthc.publish']) });
    const production = testConfig({ NODE_ENV: 'development', AUTH_JWT_SECRET: 'p'.repeat(40) });
    const prod = await buildApp(production, { db: database.db }, false);
    try {
      const res = await prod.inject({ method: 'POST', url: '/v1/tthc/decisions', headers: { authorization: await bearer(production, service), 'content-type': 'application/json' }, payload: '{}' });
      expect(res.statusCode).toBe(403);
      expect(res.json().errors).toEqual([{ path: 'permission', message: 'tthc.enter' }]);
    } finally {
      await prod.close();
    }
  });
});
