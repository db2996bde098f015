import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findAgency } from '../../../db/queries/agencies.js';
import {
  findGrant,
  findOfficer,
  findUnit,
  grantsInForce,
  holdersDuring,
  insertGrant,
  listGrants,
  openGrants,
  revokeGrant,
  upsertOfficer,
  upsertUnit,
  type GrantRow,
} from '../../../db/queries/permissions.js';
import { localMidnightMs } from '../../../domain/calendar/dates.js';
import {
  ADMINISTRATOR_PERMISSION,
  appliesTo,
  isAdministration,
  PERMISSION_NAMES,
  PERMISSIONS,
  permissionsOfRole,
  type Permission,
} from '../../../domain/permissions/catalogue.js';
import { problem, problemSchema } from '../../errors.js';
import { actorOf, agencyInQuery, ROLES, type Actor } from '../../auth.js';
import { cursorInstant, cursorParam, cursorWindow, instant, cursorPaged, keysetPage, pageQuery, realDate, safeCode, safeMultilineText, safeText } from '../../schemas.js';

const agencyCode = safeCode(32);
/** The `sub` of an officer's bearer tokens. */
const officerId = safeText(200);
const permissionName = z.enum(PERMISSION_NAMES as [Permission, ...Permission[]]);
const reason = safeMultilineText(2000, 3);
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema };

const grantSchema = z
  .object({
    id: z.string(), agency: z.string(), officer: z.string(), permission: z.string(),
    validFrom: z.string(), validTo: z.string().nullable(), grantedBy: z.string(), reason: z.string(), grantedAt: z.string(),
    revokedAt: z.string().nullable(), revokedBy: z.string().nullable(), revocationReason: z.string().nullable(),
  })
  .meta({ id: 'PermissionGrant' });
const officerSchema = z
  .object({ agency: z.string(), officer: z.string(), name: z.string(), unit: z.string().nullable(), registeredAt: z.string(), registeredBy: z.string() })
  .meta({ id: 'Officer' });
const grantBody = z.object({
  agency: agencyCode, officer: officerId, reason,
  /** Default: now. */
  validFrom: instant.optional(),
  /** A planned end (an assignment for a period); open-ended when absent. */
  validTo: instant.optional(),
});

/** Clock skew tolerated between the administrator's client and the API. */
const BACKDATE_SLACK_MS = 5 * 60_000;

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
const toGrant = (g: GrantRow) => ({
  ...g, validFrom: iso(g.validFrom)!, validTo: iso(g.validTo), grantedAt: iso(g.grantedAt)!, revokedAt: iso(g.revokedAt),
  revokedBy: g.revokedBy ?? null, revocationReason: g.revocationReason ?? null,
});
const toOfficer = (o: NonNullable<Awaited<ReturnType<typeof findOfficer>>>) => ({ ...o, registeredAt: o.registeredAt.toISOString() });

/** The agency (or VPCP) an officer acts for. */
const ownAgency = (actor: Actor): string => (actor.role === 'vpcp' ? 'VPCP' : actor.agency ?? '');
/** Who did it, as recorded: role, agency and user. */
const recordedBy = (actor: Actor) => `${actor.role}/${ownAgency(actor)}/${actor.userId}`;

/**
 * Officers and their permissions (Art 15.1a, 41, 48): each agency's administrator registers its
 * units and officers and grants and revokes its business permissions; VPCP appoints and removes
 * the agencies' administrators; auditors read who held what when. Grants are append-only: a
 * revocation is a new record, nothing is ever rewritten.
 */
export const permissionRoutes: FastifyPluginAsyncZod = async (app) => {
  /** An administrator manages its own agency only (VPCP's administrators: VPCP's officers). */
  function assertOwnAgency(actor: Actor, agency: string): void {
    if (ownAgency(actor) !== agency) throw problem('wrong-scope', `${ownAgency(actor)} may not manage the officers of ${agency} (Art 48.3)`);
  }
  async function requireAgency(code: string): Promise<void> {
    if (!(await findAgency(app.db, code))) throw problem('unprocessable', `No agency with code ${code}`, [{ path: 'body.agency', message: 'unknown agency code' }]);
  }
  /** Checks the validity window and that officers of the agency can hold the permission at all. */
  function checkGrant(body: z.infer<typeof grantBody>, permission: Permission): { validFrom: Date; validTo: Date | null } {
    const role = body.agency === 'VPCP' ? 'vpcp' : 'agency';
    if (!appliesTo(permission, role)) throw problem('unprocessable', `Permission ${permission} is not held by ${role} officers`, [{ path: 'body.permission', message: `for ${PERMISSIONS[permission].roles.join(', ')} officers` }]);
    const now = Date.now();
    const validFrom = body.validFrom ? new Date(body.validFrom) : new Date(now);
    // Project rule: the history says what was decided when; a grant never starts before it was made (clock skew aside).
    if (validFrom.getTime() < now - BACKDATE_SLACK_MS) throw problem('unprocessable', 'A grant cannot start in the past', [{ path: 'body.validFrom', message: 'now or later' }]);
    const validTo = body.validTo ? new Date(body.validTo) : null;
    if (validTo && validTo <= validFrom) throw problem('validation', 'validTo must be after validFrom', [{ path: 'body.validTo', message: 'after validFrom' }]);
    return { validFrom, validTo };
  }
  async function grant(actor: Actor, body: z.infer<typeof grantBody>, permission: Permission) {
    // Project rule (separation of duties): nobody grants a permission to themselves.
    if (body.officer === actor.userId && body.agency === ownAgency(actor)) throw problem('forbidden', 'An administrator may not grant permissions to themselves');
    const window = checkGrant(body, permission);
    const saved = await insertGrant(app.db, { agency: body.agency, officer: body.officer, permission, ...window, grantedBy: recordedBy(actor), reason: body.reason });
    app.permissions.invalidate(body.agency, body.officer);
    return toGrant(saved);
  }
  async function revoke(actor: Actor, id: string, why: string, administration: boolean) {
    const existing = await findGrant(app.db, id);
    if (!existing) throw problem('not-found', `No grant ${id}`);
    if (isAdministration(existing.permission as Permission) !== administration) {
      throw problem('unprocessable', administration ? `Grant ${id} is not an administrator's; the agency's administrator revokes it` : `Grant ${id} makes an administrator; VPCP revokes it (Art 48)`);
    }
    if (!administration) assertOwnAgency(actor, existing.agency);
    if (existing.revokedAt) return toGrant(existing);
    const revoked = await revokeGrant(app.db, { grantId: id, revokedBy: recordedBy(actor), reason: why });
    app.permissions.invalidate(existing.agency, existing.officer);
    return toGrant(revoked);
  }

  app.get('/catalogue', {
    config: { access: { roles: ROLES } },
    schema: {
      tags: ['permissions'], summary: 'The officer permissions: what each opens (routes), who can hold it, on which articles',
      response: {
        200: z.object({ items: z.array(z.object({ permission: z.string(), title: z.string(), titleVi: z.string(), article: z.string(), roles: z.array(z.string()), routes: z.array(z.string()), administration: z.boolean() })) }),
        401: problemSchema,
      },
    },
  }, async () => ({
    items: PERMISSION_NAMES.map((permission) => {
      const spec = PERMISSIONS[permission];
      return { permission, title: spec.title, titleVi: spec.titleVi, article: spec.article, roles: [...spec.roles], routes: [...spec.routes], administration: isAdministration(permission) };
    }),
  }));

  app.get('/me', {
    config: { access: { roles: ['agency', 'vpcp'] } },
    schema: {
      tags: ['permissions'], summary: "The caller's permissions now (an officer's own rights)",
      response: { 200: z.object({ agency: z.string(), officer: z.string(), serviceAccount: z.boolean(), permissions: z.array(z.string()), grants: z.array(grantSchema) }), 401: problemSchema, 403: problemSchema },
    },
  }, async (request) => {
    const actor = actorOf(request);
    const agency = ownAgency(actor);
    const holdings = await app.permissions.of(actor);
    const grants = (await grantsInForce(app.db, agency, actor.userId)).map(toGrant);
    const serviceAccount = holdings?.held === 'all';
    return {
      agency, officer: actor.userId, serviceAccount,
      permissions: serviceAccount ? permissionsOfRole(actor.role) : [...new Set(grants.map((g) => g.permission))],
      grants,
    };
  });

  app.post('/units', {
    config: { access: { roles: ['agency', 'vpcp'] }, permission: 'permissions.grant' },
    schema: {
      tags: ['permissions'], summary: "Register a unit of the administrator's agency (Vụ, Cục, Sở, ngành; Art 15.1a), or rename it",
      body: z.object({ agency: agencyCode, code: safeCode(64), name: safeText(500) }),
      response: { 200: z.object({ agency: z.string(), code: z.string(), name: z.string() }), ...errors },
    },
  }, async (request) => {
    const actor = actorOf(request);
    assertOwnAgency(actor, request.body.agency);
    const unit = await upsertUnit(app.db, { ...request.body, createdBy: recordedBy(actor) });
    return { agency: unit.agency, code: unit.code, name: unit.name };
  });

  app.post('/officers', {
    config: { access: { roles: ['agency', 'vpcp'] }, permission: 'permissions.grant' },
    schema: {
      tags: ['permissions'], summary: "Register an officer of the administrator's agency by the subject of their tokens (Art 41.1), or move them to another unit",
      body: z.object({ agency: agencyCode, officer: officerId, name: safeText(300), unit: safeCode(64).optional() }),
      response: { 200: officerSchema, ...errors },
    },
  }, async (request) => {
    const actor = actorOf(request);
    const { agency, unit } = request.body;
    assertOwnAgency(actor, agency);
    if (unit && !(await findUnit(app.db, agency, unit))) throw problem('unprocessable', `No unit ${unit} in ${agency}`, [{ path: 'body.unit', message: 'register the unit first' }]);
    const saved = await upsertOfficer(app.db, { ...request.body, unit: unit ?? null, registeredBy: recordedBy(actor) });
    app.permissions.invalidate(agency, saved.officer);
    return toOfficer(saved);
  });

  app.post('/officers/:officer/departure', {
    config: { access: { roles: ['agency', 'vpcp'] }, permission: 'permissions.grant' },
    schema: {
      tags: ['permissions'], summary: 'The officer moves or stops handling cases: every business permission they hold or were to hold is revoked at once (Art 41.2)',
      description: "An administrator's own appointment stays: VPCP removes it (POST /v1/permissions/administrators/{id}/revoke).",
      params: z.object({ officer: officerId }), body: z.object({ agency: agencyCode, reason }),
      response: { 200: z.object({ revoked: z.array(grantSchema), kept: z.array(grantSchema) }), ...errors },
    },
  }, async (request) => {
    const actor = actorOf(request);
    const { agency, reason: why } = request.body;
    assertOwnAgency(actor, agency);
    if (!(await findOfficer(app.db, agency, request.params.officer))) throw problem('not-found', `No officer ${request.params.officer} in ${agency}`);
    const open = await openGrants(app.db, agency, request.params.officer);
    const revoked = [];
    for (const g of open.filter((g) => !isAdministration(g.permission as Permission))) revoked.push(await revoke(actor, g.id, why, false));
    return { revoked, kept: open.filter((g) => isAdministration(g.permission as Permission)).map(toGrant) };
  });

  app.post('/grants', {
    config: { access: { roles: ['agency', 'vpcp'] }, permission: 'permissions.grant' },
    schema: {
      tags: ['permissions'], summary: "The agency's administrator grants a business permission to one of its officers (Art 15.1a, 41.2, 48.2)",
      body: grantBody.extend({ permission: permissionName }),
      response: { 201: grantSchema, ...errors },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const { permission, ...body } = request.body;
    assertOwnAgency(actor, body.agency);
    if (isAdministration(permission)) throw problem('unprocessable', `Permission ${permission} makes an administrator: VPCP grants it (POST /v1/permissions/administrators, Art 48)`);
    if (!(await findOfficer(app.db, body.agency, body.officer))) {
      throw problem('unprocessable', `No officer ${body.officer} registered in ${body.agency}`, [{ path: 'body.officer', message: 'register the officer first (POST /v1/permissions/officers)' }]);
    }
    return reply.status(201).send(await grant(actor, body, permission));
  });

  app.post('/grants/:id/revoke', {
    config: { access: { roles: ['agency', 'vpcp'] }, permission: 'permissions.grant' },
    schema: {
      tags: ['permissions'], summary: "The agency's administrator revokes a permission, e.g. when the officer moves (Art 41.2); takes effect within a minute",
      params: z.object({ id: z.uuid() }), body: z.object({ reason }), response: { 200: grantSchema, ...errors },
    },
  }, async (request) => revoke(actorOf(request), request.params.id, request.body.reason, false));

  app.post('/administrators', {
    config: { access: { roles: ['vpcp'] }, permission: 'permissions.administer' },
    schema: {
      tags: ['permissions'], summary: "VPCP appoints an agency's administrator (tài khoản quản trị cấp cao, Art 48.1–48.2); registers the officer if needed",
      body: grantBody.extend({
        name: safeText(300),
        /** `permissions.administer` only for VPCP's own officers. */
        permission: z.enum(['permissions.grant', 'permissions.administer']).default('permissions.grant'),
      }),
      response: { 201: grantSchema, ...errors },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const { name, permission, ...body } = request.body;
    await requireAgency(body.agency);
    if (!(await findOfficer(app.db, body.agency, body.officer))) {
      await upsertOfficer(app.db, { agency: body.agency, officer: body.officer, name, registeredBy: recordedBy(actor) });
    }
    return reply.status(201).send(await grant(actor, body, permission ?? ADMINISTRATOR_PERMISSION));
  });

  app.post('/administrators/:id/revoke', {
    config: { access: { roles: ['vpcp'] }, permission: 'permissions.administer' },
    schema: {
      tags: ['permissions'], summary: "VPCP removes an agency's administrator (Art 48)", params: z.object({ id: z.uuid() }), body: z.object({ reason }),
      response: { 200: grantSchema, ...errors },
    },
  }, async (request) => revoke(actorOf(request), request.params.id, request.body.reason, true));

  app.get('/grants', {
    config: { access: { roles: ['agency', 'vpcp', 'auditor'], agencyOf: agencyInQuery } },
    schema: {
      tags: ['permissions'], summary: 'The grant history, newest first (agencies: their own); keyset pages (`cursor` = the previous page\'s `nextCursor`)',
      querystring: z.object({
        agency: agencyCode.optional(), officer: officerId.optional(), permission: permissionName.optional(), ...pageQuery,
        cursor: cursorParam(z.tuple([cursorInstant, z.uuid()])).optional(),
      }),
      response: { 200: cursorPaged(grantSchema), ...errors },
    },
  }, async (request) => {
    const actor = actorOf(request);
    const { page, pageSize, cursor, ...filter } = request.query;
    const agency = actor.role === 'agency' ? actor.agency : filter.agency;
    const { items: rows, total, totalEstimated } = await listGrants(app.db, { ...filter, agency, ...cursorWindow({ page, pageSize, cursor }) });
    const { items, nextCursor } = keysetPage(rows, pageSize, (g) => [g.cursorAt, g.id]);
    return { items: items.map(({ cursorAt: _at, ...g }) => toGrant(g)), ...(cursor ? {} : { total, totalEstimated }), page, pageSize, nextCursor };
  });

  app.get('/holders', {
    config: { access: { roles: ['agency', 'vpcp', 'auditor'], agencyOf: agencyInQuery } },
    schema: {
      tags: ['permissions'],
      summary: 'Who held a permission on a date (Viet Nam time), e.g. who could publish TTHC for BTP on 2026-05-01',
      description: 'Every grant in force at some moment of that day, with who granted it, why, and how it ended.',
      querystring: z.object({ permission: permissionName, agency: agencyCode.optional(), on: realDate }),
      response: {
        200: z.object({
          permission: z.string(), agency: z.string().nullable(), on: z.string(), from: z.string(), to: z.string(),
          holders: z.array(grantSchema.extend({ name: z.string(), unit: z.string().nullable() })),
        }),
        ...errors,
      },
    },
  }, async (request) => {
    const actor = actorOf(request);
    const { permission, on } = request.query;
    const agency = actor.role === 'agency' ? actor.agency : request.query.agency;
    const from = new Date(localMidnightMs(on));
    const to = new Date(from.getTime() + 86_400_000);
    const rows = await holdersDuring(app.db, { permission, agency, from, to });
    return {
      permission, agency: agency ?? null, on, from: from.toISOString(), to: to.toISOString(),
      holders: rows.map((r) => ({ ...toGrant(r), name: r.name, unit: r.unit })),
    };
  });
};
