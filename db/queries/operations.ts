import { and, asc, desc, eq, gt, gte, inArray, isNull, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Database, Executor } from '../client.js';
import { cappedTotal } from './list-total.js';
import {
  agencies,
  banks,
  connectedSystems,
  connectionOutages,
  maintenanceWindows,
  operationsActions,
  securityServerChanges,
  supportRequests,
  type TechnicalContact,
} from '../schema/index.js';
import type { ActionRecord } from '../../domain/processes/actors.js';
import { keysetAfter } from './keyset.js';

/** Every projection carries the action that caused it (if any): one transaction, newer revision wins. */
async function insertAction(db: Executor, workflowId: string, action: ActionRecord | undefined): Promise<void> {
  if (!action) return;
  await db
    .insert(operationsActions)
    .values({
      workflowId,
      seq: action.seq,
      action: action.action,
      actorUserId: action.actor.userId,
      actorRole: action.actor.role,
      actorAgency: action.actor.role === 'vpcp' ? 'VPCP' : action.actor.agency ?? null,
      at: new Date(action.at),
      note: action.note ?? null,
      data: action.data ?? null,
    })
    .onConflictDoNothing();
}

const at = (iso: string | undefined) => (iso ? new Date(iso) : null);

// ---- security servers (Art 50.2) ------------------------------------------------------------------

export interface SecurityServerChangeRow {
  changeId: string;
  workflowId: string;
  agency: string;
  serverId: string;
  address: string;
  certificateFingerprint: string;
  contact: TechnicalContact;
  effectiveAt: string;
  registeredAt: string;
  noticeDueAt?: string;
  emergency: boolean;
  emergencyReason?: string;
  decidedBy?: string;
  status: string;
  refusedReason?: string;
  revision: number;
}

export async function projectSecurityServerChange(db: Database, row: SecurityServerChangeRow, action?: ActionRecord): Promise<void> {
  const changing = {
    noticeDueAt: at(row.noticeDueAt), emergency: row.emergency, emergencyReason: row.emergencyReason ?? null, decidedBy: row.decidedBy ?? null,
    status: row.status, refusedReason: row.refusedReason ?? null, revision: row.revision, updatedAt: new Date(),
  };
  await db.transaction(async (tx) => {
    await tx
      .insert(securityServerChanges)
      .values({ ...row, ...changing, effectiveAt: new Date(row.effectiveAt), registeredAt: new Date(row.registeredAt) })
      .onConflictDoUpdate({ target: securityServerChanges.changeId, set: changing, setWhere: lt(securityServerChanges.revision, row.revision) });
    await insertAction(tx, row.workflowId, action);
  });
}

/**
 * The change's effective instant came: it becomes the server's current version and the one in force
 * before it is superseded — unless a version with a later effective instant is already current
 * (an emergency approved late), then it goes straight into the history as superseded. Idempotent.
 */
export async function applySecurityServerChange(db: Database, input: { changeId: string; appliedAt: string }): Promise<{ status: 'current' | 'superseded' }> {
  return db.transaction(async (tx) => {
    const [change] = await tx.select().from(securityServerChanges).where(eq(securityServerChanges.changeId, input.changeId)).for('update');
    if (!change) throw new Error(`security server change ${input.changeId} is not recorded`);
    if (change.status === 'current' || change.status === 'superseded') return { status: change.status };
    const appliedAt = new Date(input.appliedAt);
    const [current] = await tx
      .select({ changeId: securityServerChanges.changeId, effectiveAt: securityServerChanges.effectiveAt })
      .from(securityServerChanges)
      .where(and(eq(securityServerChanges.agency, change.agency), eq(securityServerChanges.serverId, change.serverId), eq(securityServerChanges.status, 'current')))
      .for('update');
    if (current && current.effectiveAt > change.effectiveAt) {
      await tx.update(securityServerChanges).set({ status: 'superseded', appliedAt, supersededAt: appliedAt, updatedAt: new Date() }).where(eq(securityServerChanges.changeId, change.changeId));
      return { status: 'superseded' as const };
    }
    if (current) {
      await tx.update(securityServerChanges).set({ status: 'superseded', supersededAt: appliedAt, updatedAt: new Date() }).where(eq(securityServerChanges.changeId, current.changeId));
    }
    await tx.update(securityServerChanges).set({ status: 'current', appliedAt, updatedAt: new Date() }).where(eq(securityServerChanges.changeId, change.changeId));
    return { status: 'current' as const };
  });
}

const serverColumns = {
  changeId: securityServerChanges.changeId,
  agency: securityServerChanges.agency,
  serverId: securityServerChanges.serverId,
  address: securityServerChanges.address,
  certificateFingerprint: securityServerChanges.certificateFingerprint,
  contact: securityServerChanges.contact,
  status: securityServerChanges.status,
  effectiveAt: securityServerChanges.effectiveAt,
  registeredAt: securityServerChanges.registeredAt,
  noticeDueAt: securityServerChanges.noticeDueAt,
  emergency: securityServerChanges.emergency,
  emergencyReason: securityServerChanges.emergencyReason,
  refusedReason: securityServerChanges.refusedReason,
  appliedAt: securityServerChanges.appliedAt,
  supersededAt: securityServerChanges.supersededAt,
};

/** The security servers in force (Art 50.3: what the agencies configure their infrastructure from). */
export async function listCurrentSecurityServers(db: Database, scope: { agency?: string }) {
  const filter = [eq(securityServerChanges.status, 'current'), ...(scope.agency ? [eq(securityServerChanges.agency, scope.agency)] : [])];
  return db.select(serverColumns).from(securityServerChanges).where(and(...filter)).orderBy(asc(securityServerChanges.agency), asc(securityServerChanges.serverId));
}

/** Every registered version of one server, newest effective first (refused and withdrawn ones too). */
export async function securityServerHistory(db: Database, agency: string, serverId: string) {
  return db
    .select(serverColumns)
    .from(securityServerChanges)
    .where(and(eq(securityServerChanges.agency, agency), eq(securityServerChanges.serverId, serverId)))
    .orderBy(desc(securityServerChanges.effectiveAt), desc(securityServerChanges.registeredAt));
}

// ---- support requests (Art 51) ---------------------------------------------------------------------

export interface SupportRequestRow {
  requestId: string;
  workflowId: string;
  agency: string;
  kind: string;
  title: string;
  description: string;
  status: string;
  round: number;
  receivedAt: string;
  dueAt?: string;
  announcedCompletionAt?: string;
  resolvedAt?: string;
  closedAt?: string;
  revision: number;
}

export async function projectSupportRequest(db: Database, row: SupportRequestRow, action?: ActionRecord): Promise<void> {
  const changing = {
    status: row.status, round: row.round, dueAt: at(row.dueAt), announcedCompletionAt: at(row.announcedCompletionAt),
    resolvedAt: at(row.resolvedAt), closedAt: at(row.closedAt), revision: row.revision, updatedAt: new Date(),
  };
  await db.transaction(async (tx) => {
    await tx
      .insert(supportRequests)
      .values({ ...row, ...changing, receivedAt: new Date(row.receivedAt) })
      .onConflictDoUpdate({ target: supportRequests.requestId, set: changing, setWhere: lt(supportRequests.revision, row.revision) });
    await insertAction(tx, row.workflowId, action);
  });
}

/** Newest first (ties: the later id first), keyset pages after `after` (issue 18.3). */
export async function listSupportRequests(db: Database, scope: { agency?: string }, filter: { status?: string; limit: number; offset: number; after?: [receivedAt: string, requestId: string] }) {
  const where = and(
    ...(scope.agency ? [eq(supportRequests.agency, scope.agency)] : []),
    ...(filter.status ? [eq(supportRequests.status, filter.status)] : []),
  );
  const [items, counted] = await Promise.all([
    db.select({
      requestId: supportRequests.requestId, workflowId: supportRequests.workflowId, agency: supportRequests.agency, kind: supportRequests.kind,
      title: supportRequests.title, status: supportRequests.status, round: supportRequests.round, receivedAt: supportRequests.receivedAt,
      dueAt: supportRequests.dueAt, resolvedAt: supportRequests.resolvedAt, closedAt: supportRequests.closedAt,
    }).from(supportRequests)
      .where(and(where, filter.after ? keysetAfter('desc', [supportRequests.receivedAt, supportRequests.requestId], filter.after, ['timestamptz']) : undefined))
      .orderBy(desc(supportRequests.receivedAt), desc(supportRequests.requestId)).limit(filter.limit).offset(filter.offset),
    // `total` on the first page only (no cursor), exact up to 10,000, then estimated (issue 18.3).
    filter.after ? undefined : cappedTotal(db, db.select({ one: sql`1` }).from(supportRequests).where(where)),
  ]);
  return { items, total: counted?.total, totalEstimated: counted?.totalEstimated };
}

/** Every recorded action of an operations case, in order. */
export async function listOperationsActions(db: Database, workflowId: string) {
  return db.select().from(operationsActions).where(eq(operationsActions.workflowId, workflowId)).orderBy(asc(operationsActions.seq));
}

// ---- maintenance (Art 51) ----------------------------------------------------------------------------

export interface MaintenanceRow {
  windowId: string;
  workflowId: string;
  title: string;
  description: string;
  startsAt: string;
  endsAt: string;
  announcedAt: string;
  announcedBy: string;
  noticeDueAt?: string;
  emergency: boolean;
  emergencyReason?: string;
  status: string;
  refusedReason?: string;
  startedAt?: string;
  endedAt?: string;
  revision: number;
}

export async function projectMaintenanceWindow(db: Database, row: MaintenanceRow, action?: ActionRecord): Promise<void> {
  const changing = {
    noticeDueAt: at(row.noticeDueAt), emergency: row.emergency, emergencyReason: row.emergencyReason ?? null, status: row.status,
    refusedReason: row.refusedReason ?? null, startedAt: at(row.startedAt), endedAt: at(row.endedAt), revision: row.revision, updatedAt: new Date(),
  };
  await db.transaction(async (tx) => {
    await tx
      .insert(maintenanceWindows)
      .values({ ...row, ...changing, startsAt: new Date(row.startsAt), endsAt: new Date(row.endsAt), announcedAt: new Date(row.announcedAt) })
      .onConflictDoUpdate({ target: maintenanceWindows.windowId, set: changing, setWhere: lt(maintenanceWindows.revision, row.revision) });
    await insertAction(tx, row.workflowId, action);
  });
}

/** The announced window `at` falls in (Art 51), if any: connection-loss alerts are silenced inside it. */
export async function activeMaintenanceWindow(db: Executor, atIso: string): Promise<{ windowId: string; endsAt: string } | null> {
  const instant = new Date(atIso);
  const [row] = await db
    .select({ windowId: maintenanceWindows.windowId, endsAt: maintenanceWindows.endsAt })
    .from(maintenanceWindows)
    .where(and(inArray(maintenanceWindows.status, ['announced', 'in-progress']), lte(maintenanceWindows.startsAt, instant), gt(maintenanceWindows.endsAt, instant)))
    .orderBy(desc(maintenanceWindows.endsAt))
    .limit(1);
  return row ? { windowId: row.windowId, endsAt: row.endsAt.toISOString() } : null;
}

/** Latest start first (ties: the later id first), keyset pages after `after` (issue 18.3). */
export async function listMaintenanceWindows(db: Database, filter: { status?: string; from?: Date; to?: Date; limit: number; offset: number; after?: [startsAt: string, windowId: string] }) {
  const where = and(
    ...(filter.status ? [eq(maintenanceWindows.status, filter.status)] : []),
    ...(filter.from ? [gte(maintenanceWindows.endsAt, filter.from)] : []),
    ...(filter.to ? [lt(maintenanceWindows.startsAt, filter.to)] : []),
  );
  const [items, counted] = await Promise.all([
    db.select({
      windowId: maintenanceWindows.windowId, workflowId: maintenanceWindows.workflowId, title: maintenanceWindows.title, status: maintenanceWindows.status,
      startsAt: maintenanceWindows.startsAt, endsAt: maintenanceWindows.endsAt, announcedAt: maintenanceWindows.announcedAt,
      emergency: maintenanceWindows.emergency, emergencyReason: maintenanceWindows.emergencyReason, refusedReason: maintenanceWindows.refusedReason,
      startedAt: maintenanceWindows.startedAt, endedAt: maintenanceWindows.endedAt,
    }).from(maintenanceWindows)
      .where(and(where, filter.after ? keysetAfter('desc', [maintenanceWindows.startsAt, maintenanceWindows.windowId], filter.after, ['timestamptz']) : undefined))
      .orderBy(desc(maintenanceWindows.startsAt), desc(maintenanceWindows.windowId)).limit(filter.limit).offset(filter.offset),
    // `total` on the first page only (no cursor), exact up to 10,000, then estimated (issue 18.3).
    filter.after ? undefined : cappedTotal(db, db.select({ one: sql`1` }).from(maintenanceWindows).where(where)),
  ]);
  return { items, total: counted?.total, totalEstimated: counted?.totalEstimated };
}

/**
 * Who a maintenance notice goes to (Art 51 "các bên liên quan"): every agency and every active bank
 * (Portal inbox), and by e-mail every technical contact the Portal holds — the admins of connected
 * systems and the contacts of security servers in force (project rule: the addresses it has).
 */
export async function maintenanceParties(db: Database): Promise<{ agencies: string[]; banks: string[]; emails: string[] }> {
  const [agencyRows, bankRows, systems, servers] = await Promise.all([
    db.select({ code: agencies.code }).from(agencies).orderBy(asc(agencies.code)),
    db.select({ code: banks.code }).from(banks).where(eq(banks.status, 'active')).orderBy(asc(banks.code)),
    db.select({ admins: connectedSystems.admins }).from(connectedSystems).where(sql`${connectedSystems.status} <> 'retired'`),
    db.select({ contact: securityServerChanges.contact }).from(securityServerChanges).where(eq(securityServerChanges.status, 'current')),
  ]);
  const emails = new Set<string>();
  for (const s of systems) for (const a of s.admins) if (a.email) emails.add(a.email.toLowerCase());
  for (const s of servers) if (s.contact.email) emails.add(s.contact.email.toLowerCase());
  return { agencies: agencyRows.map((r) => r.code), banks: bankRows.map((r) => r.code), emails: [...emails].sort() };
}

// ---- connected systems and outages (Art 52) ----------------------------------------------------------

export interface ConnectedSystemRow {
  systemId: string;
  workflowId: string;
  agency: string;
  name: string;
  kind: string;
  healthUrl: string;
  admins: TechnicalContact[];
  failureThreshold: number;
  intervalSeconds: number;
  timeoutMs: number;
  status: string;
  consecutiveFailures: number;
  lastProbeAt?: string;
  lastOkAt?: string;
  lastError?: string;
  revision: number;
}

export async function projectConnectedSystem(db: Database, row: ConnectedSystemRow, action?: ActionRecord): Promise<void> {
  const { systemId, workflowId, agency, ...rest } = row;
  const changing = { ...rest, lastProbeAt: at(row.lastProbeAt), lastOkAt: at(row.lastOkAt), lastError: row.lastError ?? null, updatedAt: new Date() };
  await db.transaction(async (tx) => {
    await tx
      .insert(connectedSystems)
      .values({ systemId, workflowId, agency, ...changing })
      .onConflictDoUpdate({ target: connectedSystems.systemId, set: changing, setWhere: lt(connectedSystems.revision, row.revision) });
    await insertAction(tx, workflowId, action);
  });
}

export async function listConnectedSystems(db: Database, scope: { agency?: string }) {
  return db
    .select({
      systemId: connectedSystems.systemId, workflowId: connectedSystems.workflowId, agency: connectedSystems.agency, name: connectedSystems.name,
      kind: connectedSystems.kind, healthUrl: connectedSystems.healthUrl, status: connectedSystems.status, failureThreshold: connectedSystems.failureThreshold,
      intervalSeconds: connectedSystems.intervalSeconds, consecutiveFailures: connectedSystems.consecutiveFailures,
      lastProbeAt: connectedSystems.lastProbeAt, lastOkAt: connectedSystems.lastOkAt, lastError: connectedSystems.lastError,
    })
    .from(connectedSystems)
    .where(scope.agency ? eq(connectedSystems.agency, scope.agency) : undefined)
    .orderBy(asc(connectedSystems.agency), asc(connectedSystems.systemId));
}

/** Idempotent on the outage id (system + first failure). */
export async function recordOutageStart(db: Database, row: { outageId: string; systemId: string; agencyCode: string; startedAt: string; detectedAt: string; failures: number; lastError?: string }): Promise<void> {
  await db
    .insert(connectionOutages)
    .values({ ...row, startedAt: new Date(row.startedAt), detectedAt: new Date(row.detectedAt), lastError: row.lastError ?? null })
    .onConflictDoNothing({ target: connectionOutages.outageId });
}

/** The first successful probe after it ends the outage (once: a retry keeps the first end). */
export async function recordOutageEnd(db: Database, row: { outageId: string; endedAt: string; failures: number }): Promise<void> {
  await db
    .update(connectionOutages)
    .set({ endedAt: new Date(row.endedAt), failures: row.failures })
    .where(and(eq(connectionOutages.outageId, row.outageId), isNull(connectionOutages.endedAt)));
}

/**
 * Outages with their duration (seconds; an open one counts to `now`), overlapping [from, to): the
 * latest start first (ties: the later id first), keyset pages after `after` (issue 18.3).
 */
export async function listOutages(db: Database, scope: { agency?: string }, filter: { systemId?: string; from?: Date; to?: Date; limit: number; offset: number; after?: [startedAt: string, outageId: string] }) {
  const where = and(
    ...(scope.agency ? [eq(connectionOutages.agencyCode, scope.agency)] : []),
    ...(filter.systemId ? [eq(connectionOutages.systemId, filter.systemId)] : []),
    ...(filter.from ? [or(isNull(connectionOutages.endedAt), gt(connectionOutages.endedAt, filter.from)) as SQL] : []),
    ...(filter.to ? [lt(connectionOutages.startedAt, filter.to)] : []),
  );
  const [items, counted] = await Promise.all([
    db.select({
      outageId: connectionOutages.outageId, systemId: connectionOutages.systemId, agencyCode: connectionOutages.agencyCode,
      startedAt: connectionOutages.startedAt, endedAt: connectionOutages.endedAt, detectedAt: connectionOutages.detectedAt,
      failures: connectionOutages.failures, lastError: connectionOutages.lastError,
      durationSeconds: sql<number>`round(extract(epoch from (coalesce(${connectionOutages.endedAt}, now()) - ${connectionOutages.startedAt})))::int`,
    }).from(connectionOutages)
      .where(and(where, filter.after ? keysetAfter('desc', [connectionOutages.startedAt, connectionOutages.outageId], filter.after, ['timestamptz']) : undefined))
      .orderBy(desc(connectionOutages.startedAt), desc(connectionOutages.outageId)).limit(filter.limit).offset(filter.offset),
    // `total` on the first page only (no cursor), exact up to 10,000, then estimated (issue 18.3).
    filter.after ? undefined : cappedTotal(db, db.select({ one: sql`1` }).from(connectionOutages).where(where)),
  ]);
  return { items, total: counted?.total, totalEstimated: counted?.totalEstimated };
}
