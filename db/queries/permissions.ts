import { and, asc, desc, eq, isNull, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../client.js';
import { agencyUnits, officers, permissionGrants, permissionRevocations } from '../schema/permissions.js';
import { exactInstant, keysetAfter } from './keyset.js';
import { cappedTotal } from './list-total.js';

/** When a grant stops counting: its planned end or its revocation, whichever comes first (null = open). */
const endsAt = sql<Date | null>`least(${permissionGrants.validTo}, ${permissionRevocations.revokedAt})`;

/** The grant has not ended by `at` (the raw expression needs its parameter as text). */
const notEndedBy = (at: Date): SQL => or(isNull(endsAt), sql`${endsAt} > ${at.toISOString()}::timestamptz`) as SQL;

/** The grant is in force at `at`. */
const inForceAt = (at: Date): SQL => and(lte(permissionGrants.validFrom, at), notEndedBy(at)) as SQL;

/**
 * What an officer of an agency holds now: the permissions in force (with the grant of each, for the
 * record of the action), and whether the officer is managed by grants at all (registered, or granted
 * anything ever) — the local profile's service-account rule applies only to officers who are not.
 */
export async function officerPermissionsNow(db: Executor, agency: string, officer: string, now = new Date()): Promise<{ managed: boolean; held: Map<string, string> }> {
  const [registered, grants] = await Promise.all([
    db.select({ officer: officers.officer }).from(officers).where(and(eq(officers.agency, agency), eq(officers.officer, officer))).limit(1),
    db.select({ id: permissionGrants.id, permission: permissionGrants.permission, validFrom: permissionGrants.validFrom, endsAt })
      .from(permissionGrants)
      .leftJoin(permissionRevocations, eq(permissionRevocations.grantId, permissionGrants.id))
      .where(and(eq(permissionGrants.agency, agency), eq(permissionGrants.officer, officer)))
      .orderBy(asc(permissionGrants.grantedAt)),
  ]);
  const held = new Map<string, string>();
  for (const g of grants) {
    const end = g.endsAt === null ? null : new Date(g.endsAt);
    if (g.validFrom <= now && (end === null || end > now)) held.set(g.permission, g.id);
  }
  return { managed: registered.length > 0 || grants.length > 0, held };
}

export async function findUnit(db: Executor, agency: string, code: string) {
  const [row] = await db.select({ agency: agencyUnits.agency, code: agencyUnits.code, name: agencyUnits.name }).from(agencyUnits)
    .where(and(eq(agencyUnits.agency, agency), eq(agencyUnits.code, code)));
  return row;
}

/** A unit (Vụ, Cục, Sở, ngành) of an agency; registering it again renames it. */
export async function upsertUnit(db: Executor, unit: { agency: string; code: string; name: string; createdBy: string }) {
  const [row] = await db.insert(agencyUnits).values(unit)
    .onConflictDoUpdate({ target: [agencyUnits.agency, agencyUnits.code], set: { name: unit.name } })
    .returning({ agency: agencyUnits.agency, code: agencyUnits.code, name: agencyUnits.name, createdAt: agencyUnits.createdAt });
  return row!;
}

const officerColumns = { agency: officers.agency, officer: officers.officer, name: officers.name, unit: officers.unit, registeredAt: officers.registeredAt, registeredBy: officers.registeredBy };

export async function findOfficer(db: Executor, agency: string, officer: string) {
  const [row] = await db.select(officerColumns).from(officers).where(and(eq(officers.agency, agency), eq(officers.officer, officer)));
  return row;
}

/** Registers an officer of an agency (Art 41.1), or moves them to another unit / corrects the name. */
export async function upsertOfficer(db: Executor, row: { agency: string; officer: string; name: string; unit?: string | null; registeredBy: string }) {
  const [saved] = await db.insert(officers).values(row)
    .onConflictDoUpdate({ target: [officers.agency, officers.officer], set: { name: row.name, unit: row.unit ?? null } })
    .returning(officerColumns);
  return saved!;
}

const grantColumns = {
  id: permissionGrants.id, agency: permissionGrants.agency, officer: permissionGrants.officer, permission: permissionGrants.permission,
  validFrom: permissionGrants.validFrom, validTo: permissionGrants.validTo, grantedBy: permissionGrants.grantedBy, reason: permissionGrants.reason,
  grantedAt: permissionGrants.grantedAt, revokedAt: permissionRevocations.revokedAt, revokedBy: permissionRevocations.revokedBy,
  revocationReason: permissionRevocations.reason,
};

export type GrantRow = Awaited<ReturnType<typeof findGrant>> & {};

export async function findGrant(db: Executor, id: string) {
  const [row] = await db.select(grantColumns).from(permissionGrants)
    .leftJoin(permissionRevocations, eq(permissionRevocations.grantId, permissionGrants.id))
    .where(eq(permissionGrants.id, id));
  return row;
}

export async function insertGrant(db: Executor, grant: { agency: string; officer: string; permission: string; validFrom: Date; validTo?: Date | null; grantedBy: string; reason: string }) {
  const [row] = await db.insert(permissionGrants).values({ ...grant, validTo: grant.validTo ?? null }).returning({ id: permissionGrants.id });
  return (await findGrant(db, row!.id))!;
}

/** Ends a grant now (at most once: a second revocation finds the row and changes nothing). */
export async function revokeGrant(db: Executor, revocation: { grantId: string; revokedBy: string; reason: string; at?: Date }) {
  await db.insert(permissionRevocations)
    .values({ grantId: revocation.grantId, revokedBy: revocation.revokedBy, reason: revocation.reason, ...(revocation.at ? { revokedAt: revocation.at } : {}) })
    .onConflictDoNothing({ target: permissionRevocations.grantId });
  return (await findGrant(db, revocation.grantId))!;
}

/**
 * The grants of an agency, newest first (ties: the later id first), optionally of one officer or one
 * permission (the history); keyset pages after `after` (issue 18.3). `grantedAt` is PostgreSQL's
 * (microseconds): the rows carry `cursorAt`, its exact instant, for the next page's cursor.
 */
export async function listGrants(db: Executor, filter: { agency?: string; officer?: string; permission?: string; limit: number; offset: number; after?: [grantedAt: string, id: string] }) {
  const where = and(
    filter.agency ? eq(permissionGrants.agency, filter.agency) : undefined,
    filter.officer ? eq(permissionGrants.officer, filter.officer) : undefined,
    filter.permission ? eq(permissionGrants.permission, filter.permission) : undefined,
  );
  const [rows, counted] = await Promise.all([
    db.select({ ...grantColumns, cursorAt: exactInstant(permissionGrants.grantedAt) }).from(permissionGrants)
      .leftJoin(permissionRevocations, eq(permissionRevocations.grantId, permissionGrants.id))
      .where(and(where, filter.after ? keysetAfter('desc', [permissionGrants.grantedAt, permissionGrants.id], filter.after, ['timestamptz', 'uuid']) : undefined))
      .orderBy(desc(permissionGrants.grantedAt), desc(permissionGrants.id))
      .limit(filter.limit).offset(filter.offset),
    // `total` on the first page only (no cursor), exact up to 10,000, then estimated (issue 18.3).
    filter.after ? undefined : cappedTotal(db, db.select({ one: sql`1` }).from(permissionGrants).where(where)),
  ]);
  return { items: rows, total: counted?.total, totalEstimated: counted?.totalEstimated };
}

/**
 * Who held `permission` for `agency` at some moment of [from, to): every grant whose validity
 * overlaps the window, with the officer's name and unit and how the grant ended.
 */
export function holdersDuring(db: Executor, params: { permission: string; agency?: string; from: Date; to: Date }) {
  return db.select({ ...grantColumns, name: officers.name, unit: officers.unit }).from(permissionGrants)
    .leftJoin(permissionRevocations, eq(permissionRevocations.grantId, permissionGrants.id))
    .innerJoin(officers, and(eq(officers.agency, permissionGrants.agency), eq(officers.officer, permissionGrants.officer)))
    .where(and(
      eq(permissionGrants.permission, params.permission),
      params.agency ? eq(permissionGrants.agency, params.agency) : undefined,
      lt(permissionGrants.validFrom, params.to),
      notEndedBy(params.from),
    ))
    .orderBy(asc(permissionGrants.agency), asc(permissionGrants.officer), asc(permissionGrants.validFrom));
}

/** The grants of an officer not ended by `at`: in force, or starting later (what an officer who leaves loses). */
export function openGrants(db: Executor, agency: string, officer: string, at = new Date()) {
  return db.select(grantColumns).from(permissionGrants)
    .leftJoin(permissionRevocations, eq(permissionRevocations.grantId, permissionGrants.id))
    .where(and(eq(permissionGrants.agency, agency), eq(permissionGrants.officer, officer), notEndedBy(at)))
    .orderBy(asc(permissionGrants.permission));
}

/** The grants in force at `at` of an officer (the officer's current rights). */
export function grantsInForce(db: Executor, agency: string, officer: string, at = new Date()) {
  return db.select(grantColumns).from(permissionGrants)
    .leftJoin(permissionRevocations, eq(permissionRevocations.grantId, permissionGrants.id))
    .where(and(eq(permissionGrants.agency, agency), eq(permissionGrants.officer, officer), inForceAt(at)))
    .orderBy(asc(permissionGrants.permission));
}
