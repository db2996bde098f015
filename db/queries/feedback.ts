import { and, arrayContains, asc, desc, eq, gte, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { Database, Executor } from '../client.js';
import { feedbackActions, feedbackAnswers, feedbackItems, feedbackRefusals, notifications, slaClocks } from '../schema/index.js';
import type { ActionRecord } from '../../domain/processes/actors.js';
import { cappedTotal } from './list-total.js';
import { caseBreach } from './sla.js';
import { keysetAfter } from './keyset.js';

/** What the workflow projects after every change (the submission only once, at intake). */
export interface FeedbackItemProjection {
  itemId: string;
  workflowId: string;
  receivingAgency: string;
  agency: string;
  involvedAgencies: string[];
  status: string;
  round: number;
  escalatedFrom?: string;
  receivedAt: string;
  roundStartedAt: string;
  publishedAt?: string;
  closedReason?: string;
  revision: number;
}

export interface FeedbackSubmissionRow {
  category: string;
  channel: string;
  tthcCode?: string;
  senderName: string;
  senderAddress: string;
  /** Required of Portal submissions only (Art 39.3). */
  senderPhone?: string;
  senderEmail?: string;
  portalAccountId?: string;
  content: string;
}

/** Inserted at intake; afterwards only a newer revision replaces the changing columns. */
export async function upsertFeedbackItem(db: Executor, item: FeedbackItemProjection, submission?: FeedbackSubmissionRow): Promise<void> {
  const changing = {
    agency: item.agency,
    involvedAgencies: item.involvedAgencies,
    status: item.status,
    round: item.round,
    roundStartedAt: new Date(item.roundStartedAt),
    publishedAt: item.publishedAt ? new Date(item.publishedAt) : null,
    closedReason: item.closedReason ?? null,
    revision: item.revision,
    updatedAt: new Date(),
  };
  if (submission) {
    await db
      .insert(feedbackItems)
      .values({
        ...changing,
        ...submission,
        tthcCode: submission.tthcCode ?? null,
        senderPhone: submission.senderPhone ?? null,
        senderEmail: submission.senderEmail ?? null,
        portalAccountId: submission.portalAccountId ?? null,
        itemId: item.itemId,
        workflowId: item.workflowId,
        receivingAgency: item.receivingAgency,
        escalatedFrom: item.escalatedFrom ?? null,
        receivedAt: new Date(item.receivedAt),
      })
      .onConflictDoNothing({ target: feedbackItems.itemId });
  }
  await db
    .update(feedbackItems)
    .set(changing)
    .where(and(eq(feedbackItems.itemId, item.itemId), lt(feedbackItems.revision, item.revision)));
}

export async function insertFeedbackAction(db: Executor, workflowId: string, action: ActionRecord): Promise<void> {
  await db
    .insert(feedbackActions)
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

export interface PublishedAnswerRow {
  itemId: string;
  agency: string;
  category: string;
  tthcCode?: string;
  question: string;
  answer: string;
  receivedAt: string;
  publishedAt: string;
  publishedBy: string;
}

export async function insertPublishedAnswer(db: Executor, row: PublishedAnswerRow): Promise<void> {
  await db
    .insert(feedbackAnswers)
    .values({ ...row, tthcCode: row.tthcCode ?? null, receivedAt: new Date(row.receivedAt), publishedAt: new Date(row.publishedAt) })
    .onConflictDoNothing({ target: feedbackAnswers.itemId });
}

/** The notice left in place of a message whose text is removed (Art 44.3). */
const REMOVED_TEXT = '(Nội dung đã gỡ khỏi Hệ thống theo Điều 44.3 / content removed from the system, Art 44.3)';

/**
 * Art 44.3: an item found to involve state secrets keeps only a content-free record — ids, agencies,
 * category, channel, dates, status and who did what. Its content, the sender's data, the notes of
 * its actions and the texts of the messages sent about it are removed, in one transaction.
 */
export async function removeFeedbackItemContent(db: Database, params: { itemId: string; workflowId: string }): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(feedbackItems)
      .set({ content: '', senderName: '', senderAddress: '', senderPhone: null, senderEmail: null, portalAccountId: null })
      .where(eq(feedbackItems.itemId, params.itemId));
    await tx.update(feedbackActions).set({ note: null }).where(eq(feedbackActions.workflowId, params.workflowId));
    await tx.update(notifications).set({ bodyVi: REMOVED_TEXT, body: REMOVED_TEXT }).where(eq(notifications.workflowId, params.workflowId));
  });
}

export async function recordFeedbackRefusal(
  db: Executor,
  row: { intakeKey: string; article: string; reason: string; targetAgency: string; channel: string; submittedByRole: string; submittedByUser: string },
): Promise<void> {
  await db.insert(feedbackRefusals).values(row).onConflictDoNothing({ target: feedbackRefusals.intakeKey });
}

const itemColumns = {
  itemId: feedbackItems.itemId,
  workflowId: feedbackItems.workflowId,
  receivingAgency: feedbackItems.receivingAgency,
  agency: feedbackItems.agency,
  status: feedbackItems.status,
  category: feedbackItems.category,
  channel: feedbackItems.channel,
  tthcCode: feedbackItems.tthcCode,
  round: feedbackItems.round,
  escalatedFrom: feedbackItems.escalatedFrom,
  receivedAt: feedbackItems.receivedAt,
  publishedAt: feedbackItems.publishedAt,
  updatedAt: feedbackItems.updatedAt,
};

/** Agencies see items they handle(d) or coordinate on; supervisors (scope without agency) see all. */
export interface FeedbackScope {
  agency?: string;
}

export interface FeedbackFilter {
  agency?: string;
  status?: string;
  category?: string;
  channel?: string;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
  /** Keyset cursor (issue 18.3): the last item's receipt instant and id. */
  after?: [receivedAt: string, itemId: string];
}

export async function listFeedbackItems(db: Executor, scope: FeedbackScope, f: FeedbackFilter) {
  const where = and(
    scope.agency ? arrayContains(feedbackItems.involvedAgencies, [scope.agency]) : undefined,
    f.agency ? eq(feedbackItems.agency, f.agency) : undefined,
    f.status ? eq(feedbackItems.status, f.status) : undefined,
    f.category ? eq(feedbackItems.category, f.category) : undefined,
    f.channel ? eq(feedbackItems.channel, f.channel) : undefined,
    f.from ? gte(feedbackItems.receivedAt, f.from) : undefined,
    // Inclusive: a plain-date `to` is the last instant of its day.
    f.to ? lte(feedbackItems.receivedAt, f.to) : undefined,
  );
  const [items, counted] = await Promise.all([
    db.select({ ...itemColumns, ...caseBreach(feedbackItems.workflowId) }).from(feedbackItems)
      .where(and(where, f.after ? keysetAfter('desc', [feedbackItems.receivedAt, feedbackItems.itemId], f.after, ['timestamptz']) : undefined))
      .orderBy(desc(feedbackItems.receivedAt), desc(feedbackItems.itemId)).limit(f.limit).offset(f.offset),
    // `total` on the first page only (no cursor), exact up to 10,000, then estimated (issue 18.3).
    f.after ? undefined : cappedTotal(db, db.select({ one: sql`1` }).from(feedbackItems).where(where)),
  ]);
  return { items, total: counted?.total, totalEstimated: counted?.totalEstimated };
}

/** Every clock of an item across all its runs and rounds (the workflow query shows the current run's). */
export function listFeedbackClocks(db: Executor, workflowId: string) {
  return db
    .select({
      key: slaClocks.clockKey, article: slaClocks.article, owner: slaClocks.owner, ownerKind: slaClocks.ownerKind,
      unit: slaClocks.unit, amount: slaClocks.amount, stage: slaClocks.stage, startedAt: slaClocks.startedAt,
      dueAt: slaClocks.dueAt, outcome: slaClocks.outcome, breachedAt: slaClocks.breachedAt, completedAt: slaClocks.completedAt,
    })
    .from(slaClocks)
    .where(eq(slaClocks.workflowId, workflowId))
    .orderBy(asc(slaClocks.startedAt), asc(slaClocks.clockKey));
}

export async function listFeedbackActions(db: Executor, workflowId: string) {
  return db.select().from(feedbackActions).where(eq(feedbackActions.workflowId, workflowId)).orderBy(asc(feedbackActions.seq));
}

/**
 * Published answers (Art 45.1), the latest published first (ties: the later id first), keyset pages
 * after `after` (issue 18.3). `total` only without a cursor (the first page, or `?page`), exact up to
 * 10,000 and estimated beyond (`cappedTotal`); a cursor's page counts nothing.
 */
export async function listPublishedAnswers(db: Executor, f: { agency?: string; category?: string; tthcCode?: string; limit: number; offset: number; after?: [publishedAt: string, itemId: string] }) {
  const where = and(
    f.agency ? eq(feedbackAnswers.agency, f.agency) : undefined,
    f.category ? eq(feedbackAnswers.category, f.category) : undefined,
    f.tthcCode ? eq(feedbackAnswers.tthcCode, f.tthcCode) : undefined,
  ) as SQL | undefined;
  const [items, counted] = await Promise.all([
    db.select().from(feedbackAnswers)
      .where(and(where, f.after ? keysetAfter('desc', [feedbackAnswers.publishedAt, feedbackAnswers.itemId], f.after, ['timestamptz']) : undefined))
      .orderBy(desc(feedbackAnswers.publishedAt), desc(feedbackAnswers.itemId)).limit(f.limit).offset(f.offset),
    f.after ? undefined : cappedTotal(db, db.select({ one: sql`1` }).from(feedbackAnswers).where(where)),
  ]);
  return { items, total: counted?.total, totalEstimated: counted?.totalEstimated };
}
