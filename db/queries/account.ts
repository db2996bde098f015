import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Database, Executor } from '../client.js';
import { accountActivityBatches, accountIssues, accounts } from '../schema/index.js';
import { keysetAfter } from './keyset.js';
import { cappedTotal } from './list-total.js';
import { caseBreach } from './sla.js';

// ---- Art 13.1: account issues ------------------------------------------------------------------

export interface AccountIssueProjection {
  caseId: string;
  workflowId: string;
  accountId: string;
  kind: string;
  channel: string;
  status: string;
  parties: string[];
  receivedAt: string;
  partiesNotifiedAt?: string | undefined;
  acceptedAt?: string | undefined;
  closedAt?: string | undefined;
  revision: number;
}

const at = (iso: string | undefined) => (iso ? new Date(iso) : null);

/** One row per issue; a retried or reordered older revision never overwrites a newer one. */
export async function upsertAccountIssue(db: Executor, p: AccountIssueProjection): Promise<void> {
  const row = {
    caseId: p.caseId, workflowId: p.workflowId, accountId: p.accountId, kind: p.kind, channel: p.channel, status: p.status,
    parties: p.parties, receivedAt: new Date(p.receivedAt), partiesNotifiedAt: at(p.partiesNotifiedAt), acceptedAt: at(p.acceptedAt),
    closedAt: at(p.closedAt), revision: p.revision, updatedAt: new Date(),
  };
  const { caseId: _id, ...set } = row;
  await db.insert(accountIssues).values(row).onConflictDoUpdate({
    target: accountIssues.caseId, set, setWhere: sql`${accountIssues.revision} < ${p.revision}`,
  });
}

/**
 * The supervisor's list of account issues, newest first (ties: the later case id first), with the
 * breach flag of their clocks; keyset pages after `after` (issue 18.3).
 */
export async function listAccountIssues(db: Database, filter: { status?: string; accountId?: string; limit: number; offset: number; after?: [receivedAt: string, caseId: string] }) {
  const where = and(
    filter.status ? eq(accountIssues.status, filter.status) : undefined,
    filter.accountId ? eq(accountIssues.accountId, filter.accountId) : undefined,
  );
  const breach = caseBreach(accountIssues.workflowId);
  const [items, counted] = await Promise.all([
    db.select({
      caseId: accountIssues.caseId, workflowId: accountIssues.workflowId, accountId: accountIssues.accountId, kind: accountIssues.kind,
      channel: accountIssues.channel, status: accountIssues.status, parties: accountIssues.parties, receivedAt: accountIssues.receivedAt,
      partiesNotifiedAt: accountIssues.partiesNotifiedAt, acceptedAt: accountIssues.acceptedAt, closedAt: accountIssues.closedAt,
      slaBreached: breach.slaBreached, breachOwners: breach.breachOwners,
    }).from(accountIssues)
      .where(and(where, filter.after ? keysetAfter('desc', [accountIssues.receivedAt, accountIssues.caseId], filter.after, ['timestamptz']) : undefined))
      .orderBy(desc(accountIssues.receivedAt), desc(accountIssues.caseId)).limit(filter.limit).offset(filter.offset),
    // `total` on the first page only (no cursor), exact up to 10,000, then estimated (issue 18.3).
    filter.after ? undefined : cappedTotal(db, db.select({ one: sql`1` }).from(accountIssues).where(where)),
  ]);
  return { items, total: counted?.total, totalEstimated: counted?.totalEstimated };
}

// ---- Art 13.2: activity and inactivity -----------------------------------------------------------

export interface ActivityBatch {
  batchId: string;
  contentSha256: string;
  events: number;
  /** The latest activity per account in the batch. */
  latest: Map<string, Date>;
}

export type IngestOutcome =
  | { outcome: 'ingested' | 'replayed'; batchId: string; events: number; accounts: number; receivedAt: Date }
  | { outcome: 'conflict'; batchId: string };

/**
 * One transaction per batch: the batch id is claimed (a seen batch with the same content is a
 * replay, with other content a conflict, nothing written), then every account's last activity is
 * moved forward in one statement. A later activity resets the inactivity count (Art 13.2: "any
 * activity" cancels the notices and the lock); an older or equal one changes nothing, so batches
 * may arrive in any order. Activity after a lock (the identity system unlocked the account) starts a new count.
 */
export async function ingestActivityBatch(db: Database, batch: ActivityBatch, inactiveFor: string): Promise<IngestOutcome> {
  return db.transaction(async (tx) => {
    const [claimed] = await tx.insert(accountActivityBatches)
      .values({ batchId: batch.batchId, contentSha256: batch.contentSha256, events: batch.events, accounts: batch.latest.size })
      .onConflictDoNothing()
      .returning({ receivedAt: accountActivityBatches.receivedAt });
    if (!claimed) {
      const [seen] = await tx.select().from(accountActivityBatches).where(eq(accountActivityBatches.batchId, batch.batchId));
      if (!seen || seen.contentSha256 !== batch.contentSha256) return { outcome: 'conflict' as const, batchId: batch.batchId };
      return { outcome: 'replayed' as const, batchId: batch.batchId, events: seen.events, accounts: seen.accounts, receivedAt: seen.receivedAt };
    }
    const rows = JSON.stringify([...batch.latest].map(([id, last]) => ({ id, at: last.toISOString() })));
    await tx.execute(sql`
      insert into accounts (account_id, last_activity_at, notice_stage, next_action_at)
      select d.id, d.at, 0, d.at + ${inactiveFor}::interval
      from jsonb_to_recordset(${rows}::jsonb) as d(id text, at timestamptz)
      on conflict (account_id) do update set
        last_activity_at = excluded.last_activity_at, notice_stage = 0, next_action_at = excluded.next_action_at,
        last_notice_at = null, locked_at = null
      where accounts.last_activity_at < excluded.last_activity_at
        and (accounts.locked_at is null or accounts.locked_at < excluded.last_activity_at)`);
    return { outcome: 'ingested' as const, batchId: batch.batchId, events: batch.events, accounts: batch.latest.size, receivedAt: claimed.receivedAt };
  });
}

export interface DueAccount {
  accountId: string;
  lastActivityAt: Date;
  noticeStage: number;
}

/** The sweep's one query: accounts whose next step is due by `asOf`, oldest first (index `accounts_next_action_idx`). */
export async function findDueAccounts(db: Executor, asOf: Date, limit: number): Promise<DueAccount[]> {
  return db.select({ accountId: accounts.accountId, lastActivityAt: accounts.lastActivityAt, noticeStage: accounts.noticeStage })
    .from(accounts)
    .where(sql`${accounts.nextActionAt} is not null and ${accounts.nextActionAt} <= ${asOf.toISOString()}::timestamptz`)
    .orderBy(accounts.nextActionAt)
    .limit(limit);
}

/**
 * Moves accounts one stage on, only if nothing happened to them since they were read (same last
 * activity, same stage): returns the ids moved. A notice stage waits `noticeEvery` for the next step; the lock ends the count.
 */
export async function advanceAccounts(
  db: Executor,
  input: { accounts: DueAccount[]; fromStage: number; toStage: number; asOf: Date; noticeEvery: string; locked: boolean },
): Promise<string[]> {
  if (input.accounts.length === 0) return [];
  const rows = JSON.stringify(input.accounts.map((a) => ({ id: a.accountId, at: a.lastActivityAt.toISOString() })));
  const asOf = input.asOf.toISOString();
  const moved = await db.execute<{ account_id: string }>(sql`
    update accounts a set
      notice_stage = ${input.toStage},
      next_action_at = ${input.locked ? sql`null` : sql`${asOf}::timestamptz + ${input.noticeEvery}::interval`},
      last_notice_at = ${input.locked ? sql`a.last_notice_at` : sql`${asOf}::timestamptz`},
      locked_at = ${input.locked ? sql`${asOf}::timestamptz` : sql`null`}
    from jsonb_to_recordset(${rows}::jsonb) as d(id text, at timestamptz)
    -- Read back in milliseconds: unchanged means no later activity than the one read.
    where a.account_id = d.id and a.last_activity_at < d.at + interval '1 millisecond' and a.notice_stage = ${input.fromStage}
    returning a.account_id`);
  return moved.map((r) => r.account_id);
}

/** One account's inactivity state (the supervisor's and the Portal's view). */
export async function findAccount(db: Database, accountId: string) {
  const [row] = await db.select().from(accounts).where(eq(accounts.accountId, accountId));
  return row;
}

/**
 * Supervision without a scan of tens of millions of rows: accounts due now and accounts in their
 * notice period, both read through the partial index on `next_action_at`.
 */
export async function inactivitySummary(db: Database, asOf: Date, noticeEvery: string) {
  const now = asOf.toISOString();
  const within: SQL = sql`${accounts.nextActionAt} is not null and ${accounts.nextActionAt} <= ${now}::timestamptz + ${noticeEvery}::interval`;
  const [row] = await db.select({
    dueNow: sql<number>`count(*) filter (where ${accounts.nextActionAt} <= ${now}::timestamptz)::int`,
    firstNotice: sql<number>`count(*) filter (where ${accounts.noticeStage} = 1)::int`,
    secondNotice: sql<number>`count(*) filter (where ${accounts.noticeStage} = 2)::int`,
  }).from(accounts).where(within);
  return row ?? { dueNow: 0, firstNotice: 0, secondNotice: 0 };
}
