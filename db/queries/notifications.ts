import { and, desc, eq, inArray, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import { exactInstant, keysetAfter } from './keyset.js';
import { cappedTotal } from './list-total.js';
import type { Executor } from '../client.js';
import { notificationRecipientKind, notifications } from '../schema/index.js';

export type RecipientKind = (typeof notificationRecipientKind.enumValues)[number];

type OutboxRow = Pick<typeof notifications.$inferInsert, 'key' | 'workflowId' | 'channel' | 'recipient' | 'recipientKind' | 'template' | 'subjectVi' | 'subject' | 'bodyVi' | 'body' | 'data'>;

/**
 * Claims a message's key in the outbox before the provider is called (status `sending`, one more
 * attempt counted). Returns the row as it stands: `sent` means an earlier attempt delivered it.
 */
export async function claimNotification(db: Executor, row: OutboxRow): Promise<{ status: 'sent' | 'failed' | 'sending'; providerId: string | null; attempts: number }> {
  const [claimed] = await db
    .insert(notifications)
    .values({ ...row, status: 'sending', attempts: 1 })
    .onConflictDoUpdate({
      target: notifications.key,
      set: { attempts: sql`${notifications.attempts} + 1`, status: sql`case when ${notifications.status} = 'sent' then ${notifications.status} else 'sending'::notification_status end` },
      setWhere: sql`${notifications.status} <> 'sent'`,
    })
    .returning({ status: notifications.status, providerId: notifications.providerId, attempts: notifications.attempts });
  if (claimed) return claimed;
  const [sent] = await db.select({ status: notifications.status, providerId: notifications.providerId, attempts: notifications.attempts }).from(notifications).where(eq(notifications.key, row.key));
  return sent!;
}

/** A Portal-inbox notice written with the change it announces (no provider to call): recorded as sent. */
export async function recordSentNotification(db: Executor, row: OutboxRow & { providerId: string }): Promise<void> {
  await db.insert(notifications).values({ ...row, status: 'sent', attempts: 1 }).onConflictDoNothing({ target: notifications.key });
}

export async function markNotification(db: Executor, key: string, outcome: { status: 'sent'; providerId: string } | { status: 'failed'; error: string }): Promise<void> {
  await db.update(notifications)
    .set(outcome.status === 'sent' ? { status: 'sent', providerId: outcome.providerId, error: null } : { status: 'failed', error: outcome.error.slice(0, 2000) })
    .where(eq(notifications.key, key));
}

/** Who reads which notices: an agency its own, a bank its own; supervisors every notice to an agency or a bank. */
export interface NoticeScope {
  agency?: string;
  bank?: string;
}

const addressedTo = (kind: 'agency' | 'bank', code: string): SQL =>
  and(eq(notifications.recipientKind, kind), eq(notifications.recipient, code)) as SQL;

function scopeFilter(scope: NoticeScope): SQL {
  if (scope.agency) return addressedTo('agency', scope.agency);
  if (scope.bank) return addressedTo('bank', scope.bank);
  // Messages to citizens (SMS, e-mail, with their contact data) are not notices of the Portal's parties.
  return inArray(notifications.recipientKind, ['agency', 'bank']);
}

const noticeColumns = {
  id: notifications.key,
  caseId: notifications.workflowId,
  kind: notifications.template,
  recipientKind: notifications.recipientKind,
  recipient: notifications.recipient,
  channel: notifications.channel,
  subjectVi: notifications.subjectVi,
  subject: notifications.subject,
  bodyVi: notifications.bodyVi,
  body: notifications.body,
  data: notifications.data,
  createdAt: notifications.createdAt,
  readAt: notifications.readAt,
  readBy: notifications.readBy,
};

export interface NoticeFilter {
  /** Notices to this agency / bank (supervisors; an agency or bank may name only itself). */
  agency?: string;
  bank?: string;
  unread?: boolean;
  /** The notice's template, e.g. `payment.debited`, `dvctt.published`, `bank.suspended`. */
  kind?: string;
  /** The case (workflow id) the notice is about. */
  caseId?: string;
  limit: number;
  offset: number;
  /** Keyset cursor (issue 18.3): the last notice's creation instant and key. */
  after?: [createdAt: string, key: string];
}

/** Newest first (ties: the later key first), keyset pages after `after`. */
export async function listNotices(db: Executor, scope: NoticeScope, f: NoticeFilter) {
  const where = and(
    scopeFilter(scope),
    f.agency ? addressedTo('agency', f.agency) : undefined,
    f.bank ? addressedTo('bank', f.bank) : undefined,
    f.unread === undefined ? undefined : f.unread ? isNull(notifications.readAt) : isNotNull(notifications.readAt),
    f.kind ? eq(notifications.template, f.kind) : undefined,
    f.caseId ? eq(notifications.workflowId, f.caseId) : undefined,
  );
  const [items, counted] = await Promise.all([
    db.select({ ...noticeColumns, cursorAt: exactInstant(notifications.createdAt) }).from(notifications)
      .where(and(where, f.after ? keysetAfter('desc', [notifications.createdAt, notifications.key], f.after, ['timestamptz']) : undefined))
      .orderBy(desc(notifications.createdAt), desc(notifications.key)).limit(f.limit).offset(f.offset),
    // `total` on the first page only (no cursor), exact up to 10,000, then estimated (issue 18.3).
    f.after ? undefined : cappedTotal(db, db.select({ one: sql`1` }).from(notifications).where(where)),
  ]);
  return { items, total: counted?.total, totalEstimated: counted?.totalEstimated };
}

/** A notice (the list's rows also carry `cursorAt`, their exact creation instant for the next page's cursor). */
export type Notice = Omit<Awaited<ReturnType<typeof listNotices>>['items'][number], 'cursorAt'>;

/** A notice to an agency or a bank (never a citizen's message), whoever it is addressed to. */
export async function findNotice(db: Executor, id: string): Promise<Notice | undefined> {
  const [row] = await db.select(noticeColumns).from(notifications).where(and(eq(notifications.key, id), scopeFilter({})));
  return row;
}

/** Idempotent: the first reading's time and reader stand. */
export async function markNoticeRead(db: Executor, id: string, by: string): Promise<Notice | undefined> {
  await db.update(notifications).set({ readAt: new Date(), readBy: by }).where(and(eq(notifications.key, id), isNull(notifications.readAt)));
  return findNotice(db, id);
}
