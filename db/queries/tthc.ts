import { and, asc, desc, eq, gt, gte, ilike, inArray, isNull, lte, ne, or, sql } from 'drizzle-orm';
import { keysetAfter } from './keyset.js';
import { alias } from 'drizzle-orm/pg-core';
import type { Executor, Transaction } from '../client.js';
import { agencies, tthcDecisions, tthcProcedures, tthcPublications, tthcReviews, tthcVersions } from '../schema/index.js';
import type {
  CheckGap,
  DecisionItem,
  PublisherKind,
  TthcComponents,
  LocalizationRecord,
  TthcContent,
  TthcDecisionState,
  TthcPublishResult,
  TthcReviewState,
} from '../../domain/tthc/types.js';
import { contentGaps, itemCode, itemKindAllowed, localizationGaps, localizationOf, localize, startOfLocalDay } from '../../domain/tthc/rules.js';
import { cappedTotal } from './list-total.js';
import { caseBreach } from './sla.js';

type ProcedureRow = typeof tthcProcedures.$inferSelect;
type VersionRow = typeof tthcVersions.$inferSelect;
type FullContent = Required<Omit<TthcContent, 'components'>> & { components: TthcComponents };

/** A publication that cannot go ahead against the catalogue as it is now (the caller must rebase). */
export class TthcConflictError extends Error {
  constructor(readonly gaps: CheckGap[]) {
    super(`The decision no longer matches the catalogue: ${gaps.map((g) => `${g.code} ${g.component}: ${g.problem}`).join('; ')}`);
    this.name = 'TthcConflictError';
  }
}

// ── Art 16.4: check and reconcile the entered items against the catalogue ─────────────────────

async function procedures(db: Executor, codes: string[], lock: boolean): Promise<Map<string, ProcedureRow>> {
  if (codes.length === 0) return new Map();
  const query = db.select().from(tthcProcedures).where(inArray(tthcProcedures.code, codes)).orderBy(asc(tthcProcedures.code));
  const rows = lock ? await query.for('update') : await query;
  return new Map(rows.map((r) => [r.code, r]));
}

async function currentVersion(db: Executor, code: string): Promise<VersionRow | undefined> {
  const [row] = await db.select().from(tthcVersions).where(and(eq(tthcVersions.code, code), isNull(tthcVersions.validTo)));
  return row;
}

const contentOf = (v: VersionRow): FullContent => ({
  name: v.name, field: v.field, level: v.level, implementingAgency: v.implementingAgency, components: v.components,
});

/**
 * Every gap between the items and the catalogue: incomplete content (Decree 63 Art 8.2), codes
 * that already exist or do not, TTHCs of another agency, and amendments whose base version is
 * no longer current. Run by the check (Art 16.4) and again, under row locks, inside publication.
 */
export async function reconcileItems(
  db: Executor,
  params: { agency: string; agencyKind: PublisherKind; items: DecisionItem[]; lock?: boolean; signedOn?: string },
): Promise<CheckGap[]> {
  const { agency, items } = params;
  const gaps: CheckGap[] = [];
  if (items.length === 0) return [{ code: '-', component: 'items', problem: 'the decision lists no TTHC' }];
  const referenced = items.flatMap((i) => [
    itemCode(i, agency),
    ...(i.kind === 'localized' ? [i.centralCode] : []),
    ...(i.kind === 'interconnected' ? i.interconnectedWith : []),
  ]);
  const known = await procedures(db, [...new Set(referenced)].sort(), params.lock ?? false);
  const seen = new Set<string>();
  for (const item of items) {
    const code = itemCode(item, agency);
    const gap = (component: string, problem: string) => gaps.push({ code, component, problem });
    if (seen.has(code)) gap('code', 'listed twice in the decision');
    seen.add(code);
    if (!itemKindAllowed(item.kind, params.agencyKind)) gap('kind', `a ${params.agencyKind} may not list ${item.kind} TTHCs`);
    const existing = known.get(code);
    switch (item.kind) {
      case 'new':
      case 'interconnected':
        gaps.push(...contentGaps(code, item.content));
        if (existing) gap('code', 'a TTHC with this code already exists');
        if (item.kind === 'interconnected') {
          if (item.interconnectedWith.length === 0) gap('interconnectedWith', 'an interconnected TTHC names the TTHCs it connects');
          for (const other of item.interconnectedWith) {
            if (known.get(other)?.status !== 'published') gap('interconnectedWith', `${other} is not a published TTHC`);
          }
        }
        break;
      case 'amended':
        gaps.push(...contentGaps(code, item.content));
        if (!existing || existing.status !== 'published') gap('code', 'no published TTHC with this code');
        else if (existing.agency !== agency) gap('code', `the TTHC belongs to ${existing.agency}`);
        else if (existing.currentVersion !== item.baseVersion) {
          gap('baseVersion', `amends version ${item.baseVersion} but version ${existing.currentVersion} is current: rebase the amendment on it`);
        }
        break;
      case 'repealed':
        if (!existing || existing.status !== 'published') gap('code', 'no published TTHC with this code');
        else if (existing.agency !== agency) gap('code', `the TTHC belongs to ${existing.agency}`);
        break;
      case 'localized': {
        const central = known.get(item.centralCode);
        if (!central || central.status !== 'published' || central.localizesCode) {
          gap('centralCode', `${item.centralCode} is not a published central TTHC`);
          break;
        }
        const [owner] = await db.select({ kind: agencies.kind }).from(agencies).where(eq(agencies.code, central.agency));
        if (owner?.kind === 'province') gap('centralCode', `${item.centralCode} is a provincial TTHC, not a central one`);
        const source = await currentVersion(db, item.centralCode);
        if (source) gaps.push(...contentGaps(code, localize(contentOf(source), item.local)));
        // Art 17.2: the provincial acts the local details rest on (a decision entered before this rule has no signing date here).
        gaps.push(...localizationGaps(code, item.local, params.signedOn ?? '9999-12-31'));
        break;
      }
    }
  }
  return gaps;
}

// ── Art 16.5: publish a decision atomically ─────────────────────────────────────────────────

async function closeVersion(tx: Transaction, code: string, version: number, status: 'superseded' | 'repealed', at: Date, by: string) {
  await tx
    .update(tthcVersions)
    .set({ status, validTo: at, closedByDecisionId: by })
    .where(and(eq(tthcVersions.code, code), eq(tthcVersions.version, version)));
}

/**
 * Art 16.5, 19.1: a TTHC's earlier versions are no longer in force from `from` (the effective day
 * of the act that amends or repeals it). Every earlier in-force interval is cut there, so the
 * intervals of one TTHC never overlap, whatever order the acts take effect in.
 */
async function endInForce(tx: Transaction, code: string, from: Date, exceptVersion?: number) {
  const at = sql`${from.toISOString()}::timestamptz`;
  await tx
    .update(tthcVersions)
    .set({ effectiveTo: sql`least(coalesce(${tthcVersions.effectiveTo}, ${at}), ${at})` })
    .where(and(eq(tthcVersions.code, code), exceptVersion === undefined ? undefined : ne(tthcVersions.version, exceptVersion)));
}

async function openVersion(
  tx: Transaction,
  row: {
    code: string; version: number; decisionId: string; content: FullContent; at: Date; effectiveFrom: Date;
    reviewId?: string; centralVersion?: number; interconnectedWith?: string[]; localization?: LocalizationRecord;
  },
) {
  const { content } = row;
  await tx.insert(tthcVersions).values({
    code: row.code, version: row.version, status: 'published', decisionId: row.decisionId, reviewId: row.reviewId ?? null,
    name: content.name, field: content.field, level: content.level, implementingAgency: content.implementingAgency,
    components: content.components, centralVersion: row.centralVersion ?? null, interconnectedWith: row.interconnectedWith ?? null,
    localization: row.localization ?? null, validFrom: row.at, effectiveFrom: row.effectiveFrom,
  });
  await endInForce(tx, row.code, row.effectiveFrom, row.version);
}

const searchFields = (content: FullContent) => ({
  name: content.name, field: content.field, level: content.level, implementingAgency: content.implementingAgency,
});

/** A new version of a published TTHC supersedes the current one; localized copies of a central TTHC are flagged (Art 18.2). */
async function supersede(
  tx: Transaction,
  params: {
    procedure: ProcedureRow; decisionId: string; content: FullContent; at: Date; effectiveFrom: Date;
    reviewId?: string; centralVersion?: number; localization?: LocalizationRecord;
  },
): Promise<{ version: number; flagged: TthcPublishResult['flagged'] }> {
  const { procedure, at } = params;
  const version = procedure.currentVersion + 1;
  await closeVersion(tx, procedure.code, procedure.currentVersion, 'superseded', at, params.decisionId);
  await openVersion(tx, {
    code: procedure.code, version, decisionId: params.decisionId, content: params.content, at, effectiveFrom: params.effectiveFrom,
    reviewId: params.reviewId, centralVersion: params.centralVersion, localization: params.localization,
  });
  await tx
    .update(tthcProcedures)
    .set({ ...searchFields(params.content), currentVersion: version, status: 'published', ...(params.centralVersion ? { centralAmendedVersion: null } : {}), updatedAt: at })
    .where(eq(tthcProcedures.code, procedure.code));
  if (procedure.localizesCode) return { version, flagged: [] };
  const copies = await tx
    .update(tthcProcedures)
    .set({ centralAmendedVersion: version, updatedAt: at })
    .where(and(eq(tthcProcedures.localizesCode, procedure.code), eq(tthcProcedures.status, 'published')))
    .returning({ code: tthcProcedures.code, province: tthcProcedures.agency });
  return { version, flagged: copies.map((c) => ({ code: c.code, centralCode: procedure.code, centralVersion: version, province: c.province })) };
}

/** Art 18.2: the provinces' published copies still flagged as behind this version of their central TTHC. */
async function flaggedBy(tx: Transaction, centralCode: string, version: number): Promise<TthcPublishResult['flagged']> {
  const copies = await tx
    .select({ code: tthcProcedures.code, province: tthcProcedures.agency })
    .from(tthcProcedures)
    .where(and(eq(tthcProcedures.localizesCode, centralCode), eq(tthcProcedures.centralAmendedVersion, version), eq(tthcProcedures.status, 'published')));
  return copies.map((c) => ({ code: c.code, centralCode, centralVersion: version, province: c.province }));
}

/**
 * Publishes every item of a decision in ONE transaction: all become public together, or none.
 * Idempotent on the decision id (a retry returns the recorded result). The TTHC rows touched are
 * locked (SELECT … FOR UPDATE, in code order) and the decision re-reconciled under the locks, so
 * two decisions amending the same version cannot both win: the later one gets a conflict.
 * A repeal of a central TTHC repeals every province's localized copy in the same transaction
 * (Art 19.1: exactly once, with the repeal). What the decision publishes is in force from the
 * start of its effective day (`effectiveOn`), before or after the day it is published.
 */
export async function publishDecision(
  db: Executor,
  params: { decisionId: string; workflowId: string; agency: string; agencyKind: PublisherKind; items: DecisionItem[]; signedOn?: string; effectiveOn?: string },
): Promise<TthcPublishResult> {
  return db.transaction(async (tx) => {
    const at = new Date();
    // Cases started before effective dates were recorded take effect on publication.
    const effectiveFrom = params.effectiveOn ? new Date(startOfLocalDay(params.effectiveOn)) : at;
    const claimed = await tx
      .insert(tthcPublications)
      .values({ decisionId: params.decisionId, workflowId: params.workflowId, publishedAt: at, result: { decisionId: params.decisionId, publishedAt: at.toISOString(), versions: [], cascaded: [], flagged: [] } })
      .onConflictDoNothing()
      .returning({ decisionId: tthcPublications.decisionId });
    if (claimed.length === 0) {
      const [done] = await tx.select({ result: tthcPublications.result }).from(tthcPublications).where(eq(tthcPublications.decisionId, params.decisionId));
      return done!.result;
    }
    const gaps = await reconcileItems(tx, { ...params, lock: true });
    if (gaps.length > 0) throw new TthcConflictError(gaps);

    const result: TthcPublishResult = { decisionId: params.decisionId, publishedAt: at.toISOString(), versions: [], cascaded: [], flagged: [] };
    for (const item of params.items) {
      const code = itemCode(item, params.agency);
      const [procedure] = await tx.select().from(tthcProcedures).where(eq(tthcProcedures.code, code));
      switch (item.kind) {
        case 'new':
        case 'interconnected': {
          const content = item.content as FullContent;
          const interconnectedWith = item.kind === 'interconnected' ? item.interconnectedWith : undefined;
          await tx.insert(tthcProcedures).values({
            code, agency: params.agency, interconnected: !!interconnectedWith, currentVersion: 1, status: 'published', ...searchFields(content), updatedAt: at,
          });
          await openVersion(tx, { code, version: 1, decisionId: params.decisionId, content, at, effectiveFrom, interconnectedWith });
          result.versions.push({ code, version: 1, kind: item.kind });
          break;
        }
        case 'amended': {
          const { version, flagged } = await supersede(tx, { procedure: procedure!, decisionId: params.decisionId, content: item.content as FullContent, at, effectiveFrom });
          result.versions.push({ code, version, kind: item.kind });
          result.flagged.push(...flagged);
          break;
        }
        case 'repealed': {
          await repeal(tx, code, procedure!.currentVersion, params.decisionId, at, effectiveFrom);
          result.versions.push({ code, version: procedure!.currentVersion, kind: item.kind });
          result.cascaded.push(...(await cascadeRepeal(tx, code, params.decisionId, at, effectiveFrom)));
          break;
        }
        case 'localized': {
          const source = (await currentVersion(tx, item.centralCode))!;
          const content = localize(contentOf(source), item.local);
          const localization = localizationOf(item.local);
          if (procedure) {
            const { version } = await supersede(tx, { procedure, decisionId: params.decisionId, content, at, effectiveFrom, centralVersion: source.version, localization });
            result.versions.push({ code, version, kind: item.kind });
          } else {
            await tx.insert(tthcProcedures).values({
              code, agency: params.agency, localizesCode: item.centralCode, currentVersion: 1, status: 'published', ...searchFields(content), updatedAt: at,
            });
            await openVersion(tx, { code, version: 1, decisionId: params.decisionId, content, at, effectiveFrom, centralVersion: source.version, localization });
            result.versions.push({ code, version: 1, kind: item.kind });
          }
          break;
        }
      }
    }
    await tx.update(tthcPublications).set({ result }).where(eq(tthcPublications.decisionId, params.decisionId));
    return result;
  });
}

/** Art 19: the TTHC leaves the catalogue now and is no longer in force from the repeal's effective day. */
async function repeal(tx: Transaction, code: string, version: number, decisionId: string, at: Date, effectiveFrom: Date) {
  await closeVersion(tx, code, version, 'repealed', at, decisionId);
  await endInForce(tx, code, effectiveFrom);
  await tx.update(tthcProcedures).set({ status: 'repealed', updatedAt: at }).where(eq(tthcProcedures.code, code));
}

/** Art 19.1: the provinces' localized copies of a repealed central TTHC end with it, from the same day. */
async function cascadeRepeal(tx: Transaction, centralCode: string, decisionId: string, at: Date, effectiveFrom: Date): Promise<TthcPublishResult['cascaded']> {
  const copies = await tx
    .select()
    .from(tthcProcedures)
    .where(and(eq(tthcProcedures.localizesCode, centralCode), eq(tthcProcedures.status, 'published')))
    .orderBy(asc(tthcProcedures.code))
    .for('update');
  for (const copy of copies) await repeal(tx, copy.code, copy.currentVersion, decisionId, at, effectiveFrom);
  return copies.map((c) => ({ code: c.code, centralCode, province: c.agency, version: c.currentVersion }));
}

/**
 * Art 24.2a: a fix accepted by VPCP becomes a new version of the reviewed TTHC (same decision,
 * marked with the review). Idempotent on the review id; refused if the TTHC moved on meanwhile.
 */
export async function applyCorrection(
  db: Executor,
  params: { reviewId: string; code: string; baseVersion: number; components: TthcComponents },
): Promise<{ version: number; flagged: TthcPublishResult['flagged'] }> {
  return db.transaction(async (tx) => {
    const [procedure] = await tx.select().from(tthcProcedures).where(eq(tthcProcedures.code, params.code)).for('update');
    const [done] = await tx.select({ version: tthcVersions.version }).from(tthcVersions).where(and(eq(tthcVersions.code, params.code), eq(tthcVersions.reviewId, params.reviewId)));
    // A retried step answers as the first attempt did: the copies this correction flagged and not yet updated.
    if (done) return { version: done.version, flagged: await flaggedBy(tx, params.code, done.version) };
    const gap = (problem: string) => new TthcConflictError([{ code: params.code, component: 'version', problem }]);
    if (!procedure || procedure.status !== 'published') throw gap('the TTHC is no longer published');
    if (procedure.currentVersion !== params.baseVersion) throw gap(`version ${procedure.currentVersion} replaced the reviewed version ${params.baseVersion}`);
    const base = (await currentVersion(tx, params.code))!;
    const content = { ...contentOf(base), components: { ...base.components, ...params.components } };
    // A correction fixes the entry of the same act: it replaces the corrected version over the whole time that version was in force.
    return supersede(tx, {
      procedure, decisionId: base.decisionId, content, at: new Date(), effectiveFrom: base.effectiveFrom, reviewId: params.reviewId,
      localization: base.localization ?? undefined,
    });
  });
}

// ── Projections of the workflows ─────────────────────────────────────────────────────────────

/**
 * What the decision workflow writes at each step (issue 18.5): the decision's own fields, and only
 * the items changed since the last write — their keys (entered, replaced or removed) and the items
 * now under those keys — so no step carries every item's content.
 */
export interface DecisionProjection {
  workflowId: string;
  revision: number;
  decision: Omit<TthcDecisionState, 'items' | 'actions' | 'lastCheck' | 'publication'> & { publishedAt?: string };
  items: { keys: string[]; current: DecisionItem[] };
}

/** The key an item is replaced or removed by (`itemKey` in domain/tthc/rules.ts), in SQL over a jsonb item `e`. */
const itemKeySql = sql`case when e->>'kind' = 'localized' then e->>'centralCode' else e->>'code' end`;

/**
 * Writes the decision's row if `revision` is newer than the row's. The items are merged as the
 * workflow changes them: the row's items under the sent keys are taken out (order kept) and the
 * items now under them appended. A row written first (nothing projected before) takes the sent
 * items, which are then all of them. The whole state (`state`) is still accepted: an attempt
 * scheduled before this change replaces every item.
 */
export async function upsertDecision(db: Executor, params: DecisionProjection | { workflowId: string; revision: number; state: TthcDecisionState }): Promise<void> {
  const whole = 'state' in params;
  const { decision, items } = whole
    ? { decision: { ...params.state, ...(params.state.publication ? { publishedAt: params.state.publication.publishedAt } : {}) }, items: { keys: [], current: params.state.items } }
    : params;
  const row = {
    id: decision.decisionId, workflowId: params.workflowId, revision: params.revision, number: decision.number, title: decision.title,
    agency: decision.agency, authorityKind: decision.authorityKind, signedOn: decision.signedOn, legalEffectiveOn: decision.legalEffectiveOn, signer: decision.signer ?? null,
    stage: decision.stage, items: items.current, lateIssue: decision.issueTiming?.late ?? false, issueTiming: decision.issueTiming ?? null,
    publishedAt: decision.publishedAt ? new Date(decision.publishedAt) : null, updatedAt: new Date(),
  };
  const { id: _id, workflowId: _w, items: _items, ...set } = row;
  const merged = sql`(select coalesce(jsonb_agg(e order by n), '[]'::jsonb)
    from jsonb_array_elements(${sql.identifier('tthc_decisions')}.${sql.identifier('items')}) with ordinality as kept(e, n)
    where not (${JSON.stringify(items.keys)}::jsonb @> jsonb_build_array(${itemKeySql}))) || excluded.items`;
  await db.insert(tthcDecisions).values(row).onConflictDoUpdate({
    target: tthcDecisions.id, set: { ...set, items: whole ? sql`excluded.items` : merged }, setWhere: sql`${tthcDecisions.revision} < excluded.revision`,
  });
}

export async function upsertReview(db: Executor, params: { workflowId: string; revision: number; state: TthcReviewState; openedAt: string; closedAt?: string }): Promise<void> {
  const { state } = params;
  const row = {
    id: state.reviewId, workflowId: params.workflowId, revision: params.revision, code: state.code, version: state.version,
    agency: state.agency, stage: state.stage, findings: state.findings, rounds: state.rounds, correctedVersion: state.correctedVersion ?? null,
    openedAt: new Date(params.openedAt), closedAt: params.closedAt ? new Date(params.closedAt) : null, updatedAt: new Date(),
  };
  const { id: _id, workflowId: _w, ...set } = row;
  await db.insert(tthcReviews).values(row).onConflictDoUpdate({ target: tthcReviews.id, set, setWhere: sql`${tthcReviews.revision} < excluded.revision` });
}

// ── Reads ───────────────────────────────────────────────────────────────────────────────────

const decisionColumns = {
  id: tthcDecisions.id, number: tthcDecisions.number, title: tthcDecisions.title, agency: tthcDecisions.agency,
  authorityKind: tthcDecisions.authorityKind, signedOn: tthcDecisions.signedOn, legalEffectiveOn: tthcDecisions.legalEffectiveOn, signer: tthcDecisions.signer,
  stage: tthcDecisions.stage, items: tthcDecisions.items, lateIssue: tthcDecisions.lateIssue, issueTiming: tthcDecisions.issueTiming,
  publishedAt: tthcDecisions.publishedAt,
};

export async function listDecisions(db: Executor, params: { agency?: string; stage?: TthcDecisionState['stage']; lateIssue?: boolean; limit: number; offset: number; after?: [signedOn: string, id: string] }) {
  const where = and(
    params.agency ? eq(tthcDecisions.agency, params.agency) : undefined,
    params.stage ? eq(tthcDecisions.stage, params.stage) : undefined,
    params.lateIssue !== undefined ? eq(tthcDecisions.lateIssue, params.lateIssue) : undefined,
  );
  const [items, counted] = await Promise.all([
    // Newest signature first (ties: the later id first), keyset pages (issue 18.3; `tthc_decisions_signed_idx`).
    db.select({ ...decisionColumns, ...caseBreach(tthcDecisions.workflowId) }).from(tthcDecisions)
      .where(and(where, params.after ? keysetAfter('desc', [tthcDecisions.signedOn, tthcDecisions.id], params.after, ['date']) : undefined))
      .orderBy(desc(tthcDecisions.signedOn), desc(tthcDecisions.id)).limit(params.limit).offset(params.offset),
    // `total` on the first page only (no cursor), exact up to 10,000, then estimated (issue 18.3).
    params.after ? undefined : cappedTotal(db, db.select({ one: sql`1` }).from(tthcDecisions).where(where)),
  ]);
  return { items, total: counted?.total, totalEstimated: counted?.totalEstimated };
}

export async function findDecision(db: Executor, id: string) {
  const [row] = await db.select(decisionColumns).from(tthcDecisions).where(eq(tthcDecisions.id, id));
  return row;
}

const procedureColumns = {
  code: tthcProcedures.code, agency: tthcProcedures.agency, localizesCode: tthcProcedures.localizesCode, interconnected: tthcProcedures.interconnected,
  currentVersion: tthcProcedures.currentVersion, status: tthcProcedures.status, name: tthcProcedures.name, field: tthcProcedures.field,
  level: tthcProcedures.level, implementingAgency: tthcProcedures.implementingAgency, centralAmendedVersion: tthcProcedures.centralAmendedVersion,
  updatedAt: tthcProcedures.updatedAt,
};

export interface ProcedureSearch {
  code?: string;
  name?: string;
  field?: string;
  agency?: string;
  level?: ProcedureRow['level'];
  status?: ProcedureRow['status'];
  localizes?: string;
  limit: number;
  offset: number;
  /** Keyset cursor (issue 18.3): the last procedure's code. */
  after?: [code: string];
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The catalogue in code order (project rule: a catalogue, not a feed), keyset pages after `after` (issue 18.3). */
export async function searchProcedures(db: Executor, params: ProcedureSearch) {
  const where = and(
    params.code ? or(eq(tthcProcedures.code, params.code), eq(tthcProcedures.localizesCode, params.code)) : undefined,
    params.name ? ilike(tthcProcedures.name, `%${escapeLike(params.name)}%`) : undefined,
    params.field ? eq(tthcProcedures.field, params.field) : undefined,
    params.agency ? eq(tthcProcedures.agency, params.agency) : undefined,
    params.level ? eq(tthcProcedures.level, params.level) : undefined,
    params.status ? eq(tthcProcedures.status, params.status) : undefined,
    params.localizes ? eq(tthcProcedures.localizesCode, params.localizes) : undefined,
  );
  const [items, counted] = await Promise.all([
    db.select(procedureColumns).from(tthcProcedures)
      .where(and(where, params.after ? keysetAfter('asc', [tthcProcedures.code], params.after) : undefined))
      .orderBy(asc(tthcProcedures.code)).limit(params.limit).offset(params.offset),
    // `total` on the first page only (no cursor), exact up to 10,000, then estimated (issue 18.3).
    params.after ? undefined : cappedTotal(db, db.select({ one: sql`1` }).from(tthcProcedures).where(where)),
  ]);
  return { items, total: counted?.total, totalEstimated: counted?.totalEstimated };
}

export async function findProcedure(db: Executor, code: string) {
  const [row] = await db.select(procedureColumns).from(tthcProcedures).where(eq(tthcProcedures.code, code));
  return row;
}

const opening = alias(tthcDecisions, 'opening_decision');
const closing = alias(tthcDecisions, 'closing_decision');
const versionColumns = {
  code: tthcVersions.code, version: tthcVersions.version, status: tthcVersions.status, decisionId: tthcVersions.decisionId,
  reviewId: tthcVersions.reviewId, closedByDecisionId: tthcVersions.closedByDecisionId, name: tthcVersions.name, field: tthcVersions.field,
  level: tthcVersions.level, implementingAgency: tthcVersions.implementingAgency, components: tthcVersions.components,
  centralVersion: tthcVersions.centralVersion, interconnectedWith: tthcVersions.interconnectedWith, localization: tthcVersions.localization,
  validFrom: tthcVersions.validFrom, validTo: tthcVersions.validTo, effectiveFrom: tthcVersions.effectiveFrom, effectiveTo: tthcVersions.effectiveTo,
  // Art 16.5: the (public) decision that made the version, and the one that amended or repealed it.
  decisionNumber: opening.number, decisionEffectiveOn: opening.legalEffectiveOn,
  closedByDecisionNumber: closing.number, closedByDecisionEffectiveOn: closing.legalEffectiveOn,
};

const versionsWithDecisions = (db: Executor) =>
  db.select(versionColumns).from(tthcVersions)
    .leftJoin(opening, eq(opening.id, tthcVersions.decisionId))
    .leftJoin(closing, eq(closing.id, tthcVersions.closedByDecisionId));

/** The full history of a TTHC, oldest first. */
export function procedureVersions(db: Executor, code: string) {
  return versionsWithDecisions(db).where(eq(tthcVersions.code, code)).orderBy(asc(tthcVersions.version));
}

/**
 * What a TTHC said at an instant (Art 16.5, 19.1): the version legally in force then — from the
 * effective day of the act that made it to the effective day of the act that amended or repealed
 * it — whenever those acts were published. In-force intervals never overlap (see `endInForce`).
 */
export async function procedureVersionAt(db: Executor, code: string, at: Date) {
  const [row] = await versionsWithDecisions(db)
    .where(and(eq(tthcVersions.code, code), lte(tthcVersions.effectiveFrom, at), or(isNull(tthcVersions.effectiveTo), gt(tthcVersions.effectiveTo, at))))
    .orderBy(desc(tthcVersions.version))
    .limit(1);
  return row;
}

// ── Art 16.5: published decisions are public ──────────────────────────────────────────────────

const publishedDecisionColumns = {
  id: tthcDecisions.id, number: tthcDecisions.number, title: tthcDecisions.title, agency: tthcDecisions.agency,
  authorityKind: tthcDecisions.authorityKind, signer: tthcDecisions.signer, signedOn: tthcDecisions.signedOn,
  effectiveOn: tthcDecisions.legalEffectiveOn, items: tthcDecisions.items, publishedAt: tthcPublications.publishedAt, result: tthcPublications.result,
};

/**
 * Published decisions (a decision becomes public with its publication, never before), newest signed
 * first (ties: the later id first), keyset pages after `after` (issue 18.3; `tthc_decisions_signed_idx`).
 */
export async function listPublishedDecisions(db: Executor, params: { agency?: string; code?: string; signedFrom?: string; signedTo?: string; limit: number; offset: number; after?: [signedOn: string, id: string] }) {
  const where = and(
    params.agency ? eq(tthcDecisions.agency, params.agency) : undefined,
    params.code ? sql`exists (select 1 from jsonb_array_elements(${tthcPublications.result}->'versions') v where v->>'code' = ${params.code})` : undefined,
    params.signedFrom ? gte(tthcDecisions.signedOn, params.signedFrom) : undefined,
    params.signedTo ? lte(tthcDecisions.signedOn, params.signedTo) : undefined,
  );
  const joined = <T extends Parameters<typeof db.select>[0]>(fields: T) =>
    db.select(fields).from(tthcPublications).innerJoin(tthcDecisions, eq(tthcDecisions.id, tthcPublications.decisionId));
  // `total` only without a cursor (the first page, or `?page`): exact up to 10,000, estimated beyond
  // (`cappedTotal`, issue 18.3); counting the whole join on every page took 75 ms at 100,000.
  const [items, counted] = await Promise.all([
    joined(publishedDecisionColumns)
      .where(and(where, params.after ? keysetAfter('desc', [tthcDecisions.signedOn, tthcDecisions.id], params.after, ['date']) : undefined))
      .orderBy(desc(tthcDecisions.signedOn), desc(tthcDecisions.id)).limit(params.limit).offset(params.offset),
    params.after ? undefined : cappedTotal(db, joined({ one: sql`1` }).where(where)),
  ]);
  return { items, total: counted?.total, totalEstimated: counted?.totalEstimated };
}

export async function findPublishedDecision(db: Executor, id: string) {
  const [row] = await db.select(publishedDecisionColumns).from(tthcPublications)
    .innerJoin(tthcDecisions, eq(tthcDecisions.id, tthcPublications.decisionId)).where(eq(tthcPublications.decisionId, id));
  return row;
}

const reviewColumns = {
  id: tthcReviews.id, code: tthcReviews.code, version: tthcReviews.version, agency: tthcReviews.agency, stage: tthcReviews.stage,
  findings: tthcReviews.findings, rounds: tthcReviews.rounds, correctedVersion: tthcReviews.correctedVersion,
  openedAt: tthcReviews.openedAt, closedAt: tthcReviews.closedAt,
};

export async function listReviews(db: Executor, params: { agency?: string; code?: string; stage?: TthcReviewState['stage']; limit: number; offset: number; after?: [openedAt: string, id: string] }) {
  const where = and(
    params.agency ? eq(tthcReviews.agency, params.agency) : undefined,
    params.code ? eq(tthcReviews.code, params.code) : undefined,
    params.stage ? eq(tthcReviews.stage, params.stage) : undefined,
  );
  const [items, counted] = await Promise.all([
    // Newest first (ties: the later id first), keyset pages (issue 18.3; `tthc_reviews_opened_idx`).
    db.select(reviewColumns).from(tthcReviews)
      .where(and(where, params.after ? keysetAfter('desc', [tthcReviews.openedAt, tthcReviews.id], params.after, ['timestamptz']) : undefined))
      .orderBy(desc(tthcReviews.openedAt), desc(tthcReviews.id)).limit(params.limit).offset(params.offset),
    // `total` on the first page only (no cursor), exact up to 10,000, then estimated (issue 18.3).
    params.after ? undefined : cappedTotal(db, db.select({ one: sql`1` }).from(tthcReviews).where(where)),
  ]);
  return { items, total: counted?.total, totalEstimated: counted?.totalEstimated };
}

export async function findReview(db: Executor, id: string) {
  const [row] = await db.select(reviewColumns).from(tthcReviews).where(eq(tthcReviews.id, id));
  return row;
}
