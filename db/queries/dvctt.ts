import { and, asc, count, desc, eq, gte, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { exactInstant, keysetAfter } from './keyset.js';
import type { Executor } from '../client.js';
import { dvcttActions, dvcttRounds, dvcttServices, slaClocks, slaOutcomeCounts, tthcProcedures } from '../schema/index.js';
import { DVCTT_PROCESS, type DvcttProjection, type DvcttService, type DvcttStatus, type TthcRepealNotice } from '../../domain/dvctt/types.js';
import { cappedTotal } from './list-total.js';
import { caseBreach, countedClock } from './sla.js';

/** Agencies see their own services; VPCP, auditors and the Portal see all. */
export interface Scope {
  agency?: string;
}

const serviceColumns = {
  code: dvcttServices.code,
  name: dvcttServices.name,
  tthcCode: dvcttServices.tthcCode,
  agency: dvcttServices.agency,
  level: dvcttServices.level,
  declaredBy: dvcttServices.declaredBy,
  declaredAt: dvcttServices.declaredAt,
  status: dvcttServices.status,
  statusChangedAt: dvcttServices.statusChangedAt,
  currentRound: dvcttServices.currentRound,
  workflowId: dvcttServices.workflowId,
  tthcRepeal: dvcttServices.tthcRepeal,
  ...caseBreach(dvcttServices.workflowId),
};

export type DvcttServiceRow = Awaited<ReturnType<typeof findService>>;

export async function findService(db: Executor, code: string) {
  const [row] = await db.select(serviceColumns).from(dvcttServices).where(eq(dvcttServices.code, code));
  return row;
}

/**
 * Art 27.1: declaring is idempotent on the code — the same declaration again is a replay; a
 * different one under an existing code is a conflict (nothing is overwritten).
 */
export async function declareService(db: Executor, input: DvcttService & { declaredBy: string }): Promise<{ outcome: 'created' | 'replayed' | 'conflict'; service: NonNullable<DvcttServiceRow> }> {
  const inserted = await db.insert(dvcttServices).values(input).onConflictDoNothing({ target: dvcttServices.code }).returning({ code: dvcttServices.code });
  const service = (await findService(db, input.code)) as NonNullable<DvcttServiceRow>;
  if (inserted.length > 0) return { outcome: 'created', service };
  const same = service.name === input.name && service.tthcCode === input.tthcCode && service.agency === input.agency && service.level === input.level;
  return { outcome: same ? 'replayed' : 'conflict', service };
}

export interface ServiceFilter {
  status?: DvcttStatus;
  agency?: string;
  /** The services that deliver this TTHC. */
  tthcCode?: string;
  /** Stuck: in the current status since before this instant. */
  statusSince?: Date;
  limit: number;
  offset: number;
  /** Keyset cursor (issue 18.3): the last service's status change instant and code. */
  after?: [statusChangedAt: string, code: string];
}

export async function listServices(db: Executor, scope: Scope, f: ServiceFilter) {
  const where = and(
    scope.agency ? eq(dvcttServices.agency, scope.agency) : undefined,
    f.agency ? eq(dvcttServices.agency, f.agency) : undefined,
    f.status ? eq(dvcttServices.status, f.status) : undefined,
    f.tthcCode ? eq(dvcttServices.tthcCode, f.tthcCode) : undefined,
    f.statusSince ? lt(dvcttServices.statusChangedAt, f.statusSince) : undefined,
  );
  const [items, counted] = await Promise.all([
    // Longest in its status first (the stuck ones), keyset pages (issue 18.3; `dvctt_services_changed_idx`).
    db.select({ ...serviceColumns, cursorAt: exactInstant(dvcttServices.statusChangedAt) }).from(dvcttServices)
      .where(and(where, f.after ? keysetAfter('asc', [dvcttServices.statusChangedAt, dvcttServices.code], f.after, ['timestamptz']) : undefined))
      .orderBy(asc(dvcttServices.statusChangedAt), asc(dvcttServices.code)).limit(f.limit).offset(f.offset),
    // `total` on the first page only (no cursor), exact up to 10,000, then estimated (issue 18.3).
    f.after ? undefined : cappedTotal(db, db.select({ one: sql`1` }).from(dvcttServices).where(where)),
  ]);
  return { items, total: counted?.total, totalEstimated: counted?.totalEstimated };
}

/** Idempotent: the register row and the round move only forward in revision; an action is written once. */
export async function projectDvctt(db: Executor, p: DvcttProjection): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(dvcttServices)
      .set({
        status: p.status, statusChangedAt: new Date(p.statusChangedAt), currentRound: p.currentRound ?? null, workflowId: p.workflowId, revision: p.revision, updatedAt: new Date(),
        ...(p.tthcRepeal ? { tthcRepeal: p.tthcRepeal } : {}),
      })
      .where(and(eq(dvcttServices.code, p.serviceCode), lt(dvcttServices.revision, p.revision)));
    if (p.round) {
      const row = {
        serviceCode: p.serviceCode, round: p.round.round, workflowId: p.workflowId, outcome: p.round.outcome,
        proposedAt: new Date(p.round.proposedAt), proposedBy: p.round.proposedBy,
        review: p.round.review ?? null, testReport: p.round.testReport ?? null, confirmation: p.round.confirmation ?? null,
        clockKeys: p.round.clockKeys, revision: p.revision, updatedAt: new Date(),
      };
      const { serviceCode: _s, round: _r, ...updatable } = row;
      await tx.insert(dvcttRounds).values(row).onConflictDoUpdate({
        target: [dvcttRounds.serviceCode, dvcttRounds.round],
        set: updatable,
        setWhere: sql`${dvcttRounds.revision} < ${p.revision}`,
      });
    }
    const { action } = p;
    await tx.insert(dvcttActions)
      .values({ serviceCode: p.serviceCode, seq: action.seq, workflowId: p.workflowId, action: action.action, actor: action.actor, at: new Date(action.at), note: action.note ?? null, data: action.data ?? null })
      .onConflictDoNothing();
  });
}

/**
 * Art 19, 28.1: the services bound to repealed TTHCs — declared for the TTHC itself, or (a province)
 * for the central TTHC whose copy `<central>@<province>` was repealed — are marked with the repeal,
 * the first notice winning (a retry changes nothing). Answers every bound service and whether its
 * case has started (only a started case can be signalled).
 */
export async function recordTthcRepeal(db: Executor, p: { codes: string[]; notice: Omit<TthcRepealNotice, 'tthcCode'> }) {
  if (p.codes.length === 0) return [];
  const copies = await db.select({ code: tthcProcedures.code, central: tthcProcedures.localizesCode, agency: tthcProcedures.agency })
    .from(tthcProcedures).where(inArray(tthcProcedures.code, p.codes));
  const boundTo = (code: string) => {
    const copy = copies.find((c) => c.code === code && c.central);
    return or(eq(dvcttServices.tthcCode, code), copy?.central ? and(eq(dvcttServices.tthcCode, copy.central), eq(dvcttServices.agency, copy.agency)) : undefined);
  };
  const bound = new Map<string, { serviceCode: string; tthcCode: string; started: boolean }>();
  for (const code of p.codes) {
    await db.update(dvcttServices)
      .set({ tthcRepeal: { ...p.notice, tthcCode: code }, updatedAt: new Date() })
      .where(and(boundTo(code), isNull(dvcttServices.tthcRepeal)));
    const all = await db.select({ serviceCode: dvcttServices.code, workflowId: dvcttServices.workflowId, repeal: dvcttServices.tthcRepeal })
      .from(dvcttServices).where(boundTo(code)).orderBy(asc(dvcttServices.code));
    for (const s of all) {
      if (!bound.has(s.serviceCode)) bound.set(s.serviceCode, { serviceCode: s.serviceCode, tthcCode: s.repeal?.tthcCode ?? code, started: s.workflowId !== null });
    }
  }
  return [...bound.values()];
}

export function listRounds(db: Executor, serviceCode: string) {
  return db
    .select({
      round: dvcttRounds.round, outcome: dvcttRounds.outcome, proposedAt: dvcttRounds.proposedAt, proposedBy: dvcttRounds.proposedBy,
      review: dvcttRounds.review, testReport: dvcttRounds.testReport, confirmation: dvcttRounds.confirmation, clockKeys: dvcttRounds.clockKeys,
    })
    .from(dvcttRounds)
    .where(eq(dvcttRounds.serviceCode, serviceCode))
    .orderBy(asc(dvcttRounds.round));
}

/**
 * Rounds per service: how many times each service went round the loop, and how each round ended;
 * most rounds first (a ranking, not a feed; ties in code order), keyset pages after `after` (issue 18.3).
 * The counts are the service row's (`round_count`…, kept by the trigger on `dvctt_rounds`), so a page
 * is one range of `dvctt_services_rounds_idx` (per agency: `dvctt_services_agency_rounds_idx`) instead
 * of an aggregate of every round. `total` only without a cursor: exact up to 10,000, then estimated.
 */
export async function roundsPerService(db: Executor, scope: Scope, f: { agency?: string; minRounds?: number; limit: number; offset: number; after?: [rounds: number, code: string] }) {
  const rounds = dvcttServices.roundCount;
  const where: SQL | undefined = and(
    // As a literal: the partial indexes' predicate.
    sql`${rounds} > 0`,
    scope.agency ? eq(dvcttServices.agency, scope.agency) : undefined,
    f.agency ? eq(dvcttServices.agency, f.agency) : undefined,
    f.minRounds ? gte(rounds, f.minRounds) : undefined,
  );
  const [items, counted] = await Promise.all([
    db.select({
      code: dvcttServices.code, name: dvcttServices.name, agency: dvcttServices.agency, status: dvcttServices.status,
      rounds, rejected: dvcttServices.roundsRejected, failed: dvcttServices.roundsFailed, passed: dvcttServices.roundsPassed,
    })
      .from(dvcttServices)
      .where(and(
        where,
        // After the cursor: fewer rounds, or as many and a later code (the first conjunct bounds the index range).
        f.after ? sql`${rounds} <= ${f.after[0]} and (${rounds} < ${f.after[0]} or ${dvcttServices.code} > ${f.after[1]})` : undefined,
      ))
      .orderBy(sql`${rounds} desc nulls last`, asc(dvcttServices.code)).limit(f.limit).offset(f.offset),
    f.after ? undefined : cappedTotal(db, db.select({ one: sql`1` }).from(dvcttServices).where(where)),
  ]);
  return { items, total: counted?.total, totalEstimated: counted?.totalEstimated };
}

/**
 * Breached clocks of the loop, with the service they belong to: VPCP's count against VPCP, the
 * agency's against it. Abandonment clocks (project rule) are listed, marked by `kind`, but not
 * counted in `byOwner`.
 *
 * `total` and `byOwner` come with the first page only (no cursor), as for every keyset list
 * (issue 18.3): `total` exact up to 10,000 listed clocks, then estimated (`cappedTotal`);
 * `byOwner` always exact. Unscoped and for no one service, `byOwner` is read from
 * `sla_outcome_counts` (counted breaches per owner and process, kept by triggers with the clocks:
 * a few hundred rows) instead of joining every breached clock of the loop to its service (53 ms at
 * 1,000,000 clocks); every clock of the loop belongs to a declared service (the service row is
 * written before its workflow starts), so both give the same numbers (tested).
 */
export async function listBreaches(db: Executor, scope: Scope, f: { owner?: string; serviceCode?: string; limit: number; offset: number; after?: [breachedAt: string, workflowId: string, clockKey: string] }) {
  const where = and(
    eq(slaClocks.process, DVCTT_PROCESS),
    eq(slaClocks.outcome, 'breached'),
    scope.agency ? eq(dvcttServices.agency, scope.agency) : undefined,
    f.owner ? eq(slaClocks.owner, f.owner) : undefined,
    f.serviceCode ? eq(dvcttServices.code, f.serviceCode) : undefined,
  );
  const joined = <T extends Parameters<typeof db.select>[0]>(fields: T) =>
    db.select(fields).from(slaClocks).innerJoin(dvcttServices, eq(dvcttServices.workflowId, slaClocks.workflowId));
  const firstPage = !f.after;
  const c = slaOutcomeCounts;
  const [items, counted, byOwner] = await Promise.all([
    joined({
      serviceCode: dvcttServices.code, agency: dvcttServices.agency, workflowId: slaClocks.workflowId, clockKey: slaClocks.clockKey, owner: slaClocks.owner, kind: slaClocks.kind,
      article: slaClocks.article, stage: slaClocks.stage, startedAt: slaClocks.startedAt, dueAt: slaClocks.dueAt,
      breachedAt: slaClocks.breachedAt, completedAt: slaClocks.completedAt, completedBy: slaClocks.completedBy,
    })
      // The latest breach first (ties: the later case, then clock key), keyset pages (issue 18.3; `sla_clocks_process_breach_list_idx`).
      .where(and(where, f.after ? keysetAfter('desc', [slaClocks.breachedAt, slaClocks.workflowId, slaClocks.clockKey], f.after, ['timestamptz']) : undefined))
      .orderBy(desc(slaClocks.breachedAt), desc(slaClocks.workflowId), desc(slaClocks.clockKey)).limit(f.limit).offset(f.offset),
    firstPage ? cappedTotal(db, joined({ one: sql`1` }).where(where)) : undefined,
    !firstPage ? undefined
    : scope.agency || f.serviceCode
      ? joined({ owner: slaClocks.owner, breaches: count() }).where(and(where, countedClock)).groupBy(slaClocks.owner).orderBy(asc(slaClocks.owner))
      : db.select({ owner: c.owner, breaches: sql<number>`sum(${c.breached})::int` }).from(c)
        .where(and(eq(c.grain, 'month'), eq(c.process, DVCTT_PROCESS), f.owner ? eq(c.owner, f.owner) : undefined))
        .groupBy(c.owner).having(sql`sum(${c.breached}) > 0`).orderBy(asc(c.owner)),
  ]);
  return { items, total: counted?.total, totalEstimated: counted?.totalEstimated, byOwner };
}
