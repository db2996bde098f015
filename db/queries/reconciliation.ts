import { and, asc, desc, eq, gt, gte, inArray, lte, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../client.js';
import { keysetAfter } from './keyset.js';
import { discrepancies, payments, reconciliationDays, reconciliationLines, reconciliationResults, reconciliationSummaries, reconciliationUploads, refundPayouts, refunds } from '../schema/index.js';

export type ReconciliationSource = (typeof reconciliationLines.source.enumValues)[number];
export type ReconciliationOutcome = (typeof reconciliationResults.outcome.enumValues)[number];
export const RECONCILIATION_OUTCOMES = reconciliationResults.outcome.enumValues;

export interface UploadLine {
  paymentId: string;
  bankTxnRef: string;
  amount: number;
  status: 'success' | 'failed';
  feeTypeCode?: string;
}

/**
 * Replaces one party's records for one day and agency × bank (Art 34.2): a re-upload of the same
 * statement leaves the same lines, a corrected one replaces the old. One transaction.
 */
export async function replaceUpload(
  db: Executor,
  key: { source: ReconciliationSource; agency: string; bank: string; txnDate: string },
  lines: UploadLine[],
  meta: { format: string; uploadedBy: string },
): Promise<{ lineCount: number }> {
  return db.transaction(async (tx) => {
    const where = and(eq(reconciliationLines.source, key.source), eq(reconciliationLines.agency, key.agency), eq(reconciliationLines.bank, key.bank), eq(reconciliationLines.txnDate, key.txnDate));
    await tx.delete(reconciliationLines).where(where);
    for (let i = 0; i < lines.length; i += 5000) {
      const chunk = lines.slice(i, i + 5000).map((l) => ({ ...key, ...l, feeTypeCode: l.feeTypeCode ?? null }));
      // A line repeated verbatim in one upload is the same line; a second debit has its own bank ref.
      await tx.insert(reconciliationLines).values(chunk).onConflictDoNothing();
    }
    const row = { ...key, lineCount: lines.length, format: meta.format, uploadedBy: meta.uploadedBy, uploadedAt: new Date() };
    await tx
      .insert(reconciliationUploads)
      .values(row)
      .onConflictDoUpdate({ target: [reconciliationUploads.source, reconciliationUploads.agency, reconciliationUploads.bank, reconciliationUploads.txnDate], set: row });
    return { lineCount: lines.length };
  });
}

/**
 * The payment ids among `paymentIds` that are no payment of `agency` on the Portal. An upload line
 * naming one is a mistake of the uploader, refused with the upload — not a difference to investigate
 * (a payment the Portal knows but has not seen debited still reconciles as `missingAtPortal`).
 */
export async function unknownPaymentIds(db: Executor, agency: string, paymentIds: readonly string[]): Promise<Set<string>> {
  const unknown = new Set(paymentIds);
  const ids = [...unknown];
  for (let i = 0; i < ids.length; i += 5000) {
    const known = await db
      .select({ id: payments.id })
      .from(payments)
      .where(and(eq(payments.agency, agency), inArray(payments.id, ids.slice(i, i + 5000))));
    for (const { id } of known) unknown.delete(id);
  }
  return unknown;
}

/** Outcomes that are no difference to investigate: nothing to open a case for. */
const NO_DIFFERENCE: readonly string[] = ['matched', 'awaitingUpload'];

/** work_mem for the reconciliation statement only (SET LOCAL): sorts and hashes of a whole day. */
export const RECONCILIATION_WORK_MEM = '64MB';

/**
 * One side's lines of the day, each occurrence of a payment numbered: the occurrence the Portal
 * knows (same bank reference) first, then successful ones. Byte-order ("C") sorting: the keys are codes.
 */
const side = (source: ReconciliationSource, txnDate: string) => sql`
  select l.agency, l.bank, l.payment_id, l.amount, l.status::text as status, l.bank_txn_ref, l.fee_type_code,
         row_number() over (
           partition by l.agency collate "C", l.bank collate "C", l.payment_id collate "C"
           order by (l.bank_txn_ref = pay.bank_txn_ref) is not true, l.status <> 'success', l.bank_txn_ref collate "C"
         ) as seq
  from reconciliation_lines l
  left join payments pay on pay.id = l.payment_id
  where l.txn_date = ${txnDate} and l.source = ${source}`;

/**
 * The three-way comparison of one day (Art 34.4 a–c), set-based: one INSERT … SELECT over the
 * Portal's payments (P), the banks' statements (B) and the agencies' records (A), for every
 * agency × bank at once. Each side numbers the occurrences of a payment id (window function), so
 * the first occurrences meet in a FULL OUTER JOIN on (agency, bank, payment, seq) and any further
 * one (seq > 1: a second debit of the same payment) stands alone as a duplicate.
 *
 * A party "is in" for an agency × bank of the day once it uploaded its records (`reconciliation_uploads`,
 * also an upload without lines; lines only ever arrive with their upload). Until then what only its records could show is not a difference (Art 34.2:
 * each party reconciles its own day): the row is `awaitingUpload`, with no owner and no case; the
 * sides that are in are still compared with each other.
 *
 * Outcome, first rule that applies (a side "has" a payment when it records it as successful):
 *   seq > 1 and successful on the bank or agency side         → duplicate
 *   P absent, B successful                                     → missingAtPortal
 *   bank not in, P successful or only A successful             → awaitingUpload
 *   P successful, B absent                                     → missingAtBank
 *   agency in, P or B successful, A absent                     → missingAtAgency
 *   only A successful                                          → missingAtBank
 *   the statuses recorded by the present sides differ          → statusMismatch
 *   the amounts recorded by the successful sides differ        → amountMismatch
 *   bank or agency not in                                      → awaitingUpload
 *   otherwise                                                  → matched
 * Owner (who investigates, Art 34.5): the party whose record is the odd one out; the Portal's
 * record is what the bank synchronised (Art 31.2c, 35.5), so a Portal-side difference is the bank's.
 * Concretely: agency when A is the odd one out (missingAtAgency, only-A, P and B agree against A),
 * otherwise bank.
 */
export async function reconcileDay(db: Executor, txnDate: string): Promise<{ transactions: number; discrepancies: number; awaitingUpload: number }> {
  return db.transaction(async (tx) => {
    // Project rule: enough sort/hash memory for a day of a million transactions to stay in memory.
    await tx.execute(sql.raw(`set local work_mem = '${RECONCILIATION_WORK_MEM}'`));
    await tx.delete(reconciliationResults).where(eq(reconciliationResults.txnDate, txnDate));
    await tx.delete(reconciliationSummaries).where(eq(reconciliationSummaries.txnDate, txnDate));
    const inserted = await tx.execute<{ outcome: string; n: number }>(sql`
      with p as (
        select agency, payer_bank as bank, id as payment_id, 1 as seq, amount, bank_txn_ref, fee_type_code,
               case when status in ('debited', 'settled') then 'success' else 'failed' end as status
        from payments
        where txn_date = ${txnDate} and payer_bank is not null
      ),
      b as (${side('bank', txnDate)}),
      a as (${side('agency', txnDate)}),
      bank_in as (select agency, bank from reconciliation_uploads where txn_date = ${txnDate} and source = 'bank'),
      agency_in as (select agency, bank from reconciliation_uploads where txn_date = ${txnDate} and source = 'agency'),
      pb as (
        select coalesce(p.agency, b.agency) as agency, coalesce(p.bank, b.bank) as bank,
               coalesce(p.payment_id, b.payment_id) as payment_id, coalesce(p.seq, b.seq) as seq,
               p.amount as pa, p.status as ps, b.amount as ba, b.status as bs,
               coalesce(b.bank_txn_ref, p.bank_txn_ref) as bank_txn_ref, coalesce(p.fee_type_code, b.fee_type_code) as fee_type_code
        from p full join b on b.agency = p.agency and b.bank = p.bank and b.payment_id = p.payment_id and b.seq = p.seq
      ),
      j as (
        select coalesce(pb.agency, a.agency) as agency, coalesce(pb.bank, a.bank) as bank,
               coalesce(pb.payment_id, a.payment_id) as payment_id, coalesce(pb.seq, a.seq) as seq,
               pb.pa, pb.ps, pb.ba, pb.bs, a.amount as aa, a.status as ast,
               coalesce(pb.bank_txn_ref, a.bank_txn_ref) as bank_txn_ref, coalesce(pb.fee_type_code, a.fee_type_code) as fee_type_code
        from pb full join a on a.agency = pb.agency and a.bank = pb.bank and a.payment_id = pb.payment_id and a.seq = pb.seq
      ),
      jin as (
        select j.*, bi.agency is not null as b_in, ai.agency is not null as a_in
        from j
        left join bank_in bi on bi.agency = j.agency and bi.bank = j.bank
        left join agency_in ai on ai.agency = j.agency and ai.bank = j.bank
      ),
      classified as (
        select jin.*,
          case
            when seq > 1 then case when bs = 'success' or ast = 'success' then 'duplicate' else 'matched' end
            when ps is null and bs = 'success' then 'missingAtPortal'
            when not b_in and (ps = 'success' or (ast = 'success' and ps is null)) then 'awaitingUpload'
            when ps = 'success' and bs is null then 'missingAtBank'
            when a_in and (ps = 'success' or bs = 'success') and ast is null then 'missingAtAgency'
            when ast = 'success' and ps is null and bs is null then 'missingAtBank'
            when (ps is not null and bs is not null and ps <> bs) or (ast is not null and ((ps is not null and ast <> ps) or (bs is not null and ast <> bs))) then 'statusMismatch'
            when (ps = 'success' and bs = 'success' and pa <> ba) or (ast = 'success' and ((ps = 'success' and aa <> pa) or (bs = 'success' and aa <> ba))) then 'amountMismatch'
            when not (b_in and a_in) then 'awaitingUpload'
            else 'matched'
          end as outcome
        from jin
      ),
      ins as (
        insert into reconciliation_results
          (txn_date, agency, bank, payment_id, seq, outcome, owner_kind, portal_amount, bank_amount, agency_amount, portal_status, bank_status, agency_status, bank_txn_ref, fee_type_code)
        select ${txnDate}::date, agency, bank, payment_id, seq, outcome::reconciliation_outcome,
          case
            when outcome in ('matched', 'awaitingUpload') then null
            when outcome = 'duplicate' then case when bs = 'success' then 'bank' else 'agency' end
            when outcome = 'missingAtAgency' then 'agency'
            when outcome = 'missingAtBank' and ps is null and bs is null then 'agency'
            when outcome = 'statusMismatch' and ps is not distinct from bs then 'agency'
            when outcome = 'amountMismatch' and pa is not distinct from ba then 'agency'
            else 'bank'
          end::discrepancy_owner_kind,
          pa, ba, aa, ps, bs, ast, bank_txn_ref, fee_type_code
        from classified
        returning outcome
      )
      select outcome::text, count(*)::int as n from ins group by outcome
    `);
    // The day summed for reports of any period (Art 34.3), from the rows just written (still in shared buffers).
    await tx.execute(sql`
      insert into reconciliation_summaries
        (txn_date, agency, bank, fee_type_code, outcome, status, transactions, portal_total, bank_total, agency_total)
      select txn_date, agency, bank, coalesce(fee_type_code, ''), outcome, coalesce(portal_status, bank_status, agency_status, ''), count(*)::int,
        coalesce(sum(portal_amount) filter (where portal_status = 'success'), 0), coalesce(sum(bank_amount) filter (where bank_status = 'success'), 0),
        coalesce(sum(agency_amount) filter (where agency_status = 'success'), 0)
      from reconciliation_results
      where txn_date = ${txnDate}
      group by txn_date, agency, bank, coalesce(fee_type_code, ''), outcome, coalesce(portal_status, bank_status, agency_status, '')`);
    const counts = [...inserted] as { outcome: string; n: number }[];
    const transactions = counts.reduce((s, c) => s + c.n, 0);
    const discrepancyCount = counts.filter((c) => !NO_DIFFERENCE.includes(c.outcome)).reduce((s, c) => s + c.n, 0);
    const awaitingUpload = counts.find((c) => c.outcome === 'awaitingUpload')?.n ?? 0;
    return { transactions, discrepancies: discrepancyCount, awaitingUpload };
  });
}

export async function markDay(db: Executor, input: { txnDate: string; workflowId: string; status: 'running' | 'reconciled'; transactions?: number; discrepancies?: number }) {
  const row = {
    txnDate: input.txnDate,
    workflowId: input.workflowId,
    status: input.status,
    transactions: input.transactions ?? 0,
    discrepancies: input.discrepancies ?? 0,
    reconciledAt: input.status === 'reconciled' ? new Date() : null,
  };
  await db.insert(reconciliationDays).values(row).onConflictDoUpdate({ target: reconciliationDays.txnDate, set: row });
}

/** The days of [from, to] already reconciled. */
export async function reconciledDaysBetween(db: Executor, from: string, to: string): Promise<Set<string>> {
  const d = reconciliationDays;
  const rows = await db.select({ txnDate: d.txnDate }).from(d).where(and(eq(d.status, 'reconciled'), gte(d.txnDate, from), lte(d.txnDate, to)));
  return new Set(rows.map((r) => r.txnDate));
}

/**
 * Reconciled days of [from, to] with an upload that came after their reconciliation (a late or a
 * corrected statement or record): the daily run reconciles them again.
 */
export async function daysWithLaterUploads(db: Executor, from: string, to: string): Promise<string[]> {
  const rows = await db.execute<{ d: string }>(sql`
    select d.txn_date::text as d from reconciliation_days d
    where d.status = 'reconciled' and d.txn_date between ${from}::date and ${to}::date
      and exists (select 1 from reconciliation_uploads u where u.txn_date = d.txn_date and u.uploaded_at > d.reconciled_at)
    order by d.txn_date`);
  return [...rows].map((r) => r.d);
}

/**
 * Days before `before` with Portal payments or uploaded records that were never reconciled: older
 * than the daily run's window, so only a manual run reconciles them (logged as an alert).
 */
export async function unreconciledDaysBefore(db: Executor, before: string, limit = 100): Promise<string[]> {
  const rows = await db.execute<{ d: string }>(sql`
    select d::text as d from (
      select txn_date as d from payments where txn_date < ${before}::date
      union select txn_date from reconciliation_uploads where txn_date < ${before}::date
    ) x
    where not exists (select 1 from reconciliation_days r where r.txn_date = x.d and r.status = 'reconciled')
    order by d desc limit ${limit}`);
  return [...rows].map((r) => r.d);
}

/** Differences of a day in a stable order, a page at a time (the workflow starts one case each). */
export function discrepancyPage(db: Executor, params: { txnDate: string; after?: { agency: string; bank: string; paymentId: string; seq: number }; limit: number }) {
  const r = reconciliationResults;
  const after = params.after
    ? sql`(${r.agency}, ${r.bank}, ${r.paymentId}, ${r.seq}) > (${params.after.agency}, ${params.after.bank}, ${params.after.paymentId}, ${params.after.seq})`
    : undefined;
  return db
    .select({
      agency: r.agency, bank: r.bank, paymentId: r.paymentId, seq: r.seq, outcome: r.outcome, ownerKind: r.ownerKind,
      portalAmount: r.portalAmount, bankAmount: r.bankAmount, agencyAmount: r.agencyAmount, bankTxnRef: r.bankTxnRef,
      portalStatus: r.portalStatus, bankStatus: r.bankStatus,
    })
    .from(r)
    // Spelled as two inequalities so the partial index (outcome <> 'matched') serves it.
    .where(and(eq(r.txnDate, params.txnDate), sql`${r.outcome} <> 'matched' and ${r.outcome} <> 'awaitingUpload'`, after))
    .orderBy(asc(r.agency), asc(r.bank), asc(r.paymentId), asc(r.seq))
    .limit(params.limit);
}

/**
 * The open cases of a day whose difference this run no longer finds as the case holds it: gone
 * (no row, matched) or changed (kind, owner, amounts). A pair still awaiting an upload changes
 * nothing. In id order, a page at a time; `difference` is the current row, null when gone.
 */
export async function revisitedDiscrepancyPage(db: Executor, params: { txnDate: string; after?: string; limit: number }) {
  const d = discrepancies;
  const r = reconciliationResults;
  return db
    .select({
      id: d.id,
      outcome: r.outcome, ownerKind: r.ownerKind, agency: d.agency, bank: d.bank, paymentId: d.paymentId, seq: d.seq,
      portalAmount: r.portalAmount, bankAmount: r.bankAmount, agencyAmount: r.agencyAmount, bankTxnRef: r.bankTxnRef,
      portalStatus: r.portalStatus, bankStatus: r.bankStatus,
    })
    .from(d)
    .leftJoin(r, and(eq(r.txnDate, d.txnDate), eq(r.agency, d.agency), eq(r.bank, d.bank), eq(r.paymentId, d.paymentId), eq(r.seq, d.seq)))
    .where(and(
      eq(d.txnDate, params.txnDate),
      eq(d.status, 'open'),
      params.after ? gt(d.id, params.after) : undefined,
      sql`(${r.outcome} is null or ${r.outcome} = 'matched'
           or (${r.outcome} <> 'awaitingUpload' and (${r.outcome}::text <> ${d.kind} or ${r.ownerKind} is distinct from ${d.ownerKind}
               or ${r.portalAmount} is distinct from ${d.portalAmount} or ${r.bankAmount} is distinct from ${d.bankAmount}
               or ${r.agencyAmount} is distinct from ${d.agencyAmount})))`,
    ))
    .orderBy(asc(d.id))
    .limit(params.limit);
}

/** Scope of a report reader: a bank sees its own pairs, an agency its own, supervisors all. */
export interface ReportScope {
  agency?: string;
  bank?: string;
}

/**
 * What a reconciliation report covers (Art 34.3): a period of days (đ), an agency (a), a bank (b),
 * a fee type (c), and the outcome or the transaction's status (d).
 */
export interface ReportFilters extends ReportScope {
  from: string;
  to: string;
  feeTypeCode?: string;
  outcome?: ReconciliationOutcome;
  /** The transaction's status as the Portal recorded it (else the bank, else the agency). */
  status?: 'success' | 'failed';
}

/** The filters over the day sums (summaries) — every filter is one of their dimensions. */
function summaryWhere(f: ReportFilters): SQL | undefined {
  const s = reconciliationSummaries;
  return and(
    f.from === f.to ? eq(s.txnDate, f.from) : and(gte(s.txnDate, f.from), lte(s.txnDate, f.to)),
    f.agency ? eq(s.agency, f.agency) : undefined,
    f.bank ? eq(s.bank, f.bank) : undefined,
    f.feeTypeCode ? eq(s.feeTypeCode, f.feeTypeCode) : undefined,
    f.outcome ? eq(s.outcome, f.outcome) : undefined,
    f.status ? eq(s.status, f.status) : undefined,
  );
}

/** The same filters over the transactions (detail). */
function reportWhere(f: ReportFilters): SQL | undefined {
  const r = reconciliationResults;
  return and(
    f.from === f.to ? eq(r.txnDate, f.from) : and(gte(r.txnDate, f.from), lte(r.txnDate, f.to)),
    f.agency ? eq(r.agency, f.agency) : undefined,
    f.bank ? eq(r.bank, f.bank) : undefined,
    f.feeTypeCode ? eq(r.feeTypeCode, f.feeTypeCode) : undefined,
    f.outcome ? eq(r.outcome, f.outcome) : undefined,
    f.status ? sql`coalesce(${r.portalStatus}, ${r.bankStatus}, ${r.agencyStatus}) = ${f.status}` : undefined,
  );
}

/** Summary per agency × bank of a day (Art 34.3d "tổng hợp"): counts per outcome and totals. */
export function daySummary(db: Executor, txnDate: string, scope: ReportScope & { feeTypeCode?: string }) {
  return reportSummary(db, { ...scope, from: txnDate, to: txnDate });
}

/** Summary per agency × bank of a period (Art 34.3d–đ): counts per outcome and totals (VND), from the day sums. */
export async function reportSummary(db: Executor, f: ReportFilters) {
  const s = reconciliationSummaries;
  const rows = await db
    .select({
      agency: s.agency,
      bank: s.bank,
      outcome: s.outcome,
      count: sql<number>`sum(${s.transactions})::int`,
      portalTotal: sql<number>`sum(${s.portalTotal})::bigint`,
      bankTotal: sql<number>`sum(${s.bankTotal})::bigint`,
      agencyTotal: sql<number>`sum(${s.agencyTotal})::bigint`,
    })
    .from(s)
    .where(summaryWhere(f))
    .groupBy(s.agency, s.bank, s.outcome)
    .orderBy(asc(s.agency), asc(s.bank));
  const pairs = new Map<string, { agency: string; bank: string; transactions: number; outcomes: Record<string, number>; portalTotal: number; bankTotal: number; agencyTotal: number }>();
  for (const row of rows) {
    const key = `${row.agency}\u0000${row.bank}`;
    const pair = pairs.get(key) ?? { agency: row.agency, bank: row.bank, transactions: 0, outcomes: Object.fromEntries(RECONCILIATION_OUTCOMES.map((o) => [o, 0])), portalTotal: 0, bankTotal: 0, agencyTotal: 0 };
    pair.transactions += row.count;
    pair.outcomes[row.outcome] = row.count;
    pair.portalTotal += Number(row.portalTotal);
    pair.bankTotal += Number(row.bankTotal);
    pair.agencyTotal += Number(row.agencyTotal);
    pairs.set(key, pair);
  }
  return [...pairs.values()];
}

/** Detail of one day × agency × bank (Art 34.3d "chi tiết"), optionally one outcome. */
export function dayDetail(db: Executor, params: { txnDate: string; agency: string; bank: string; outcome?: ReconciliationOutcome; limit?: number }) {
  const r = reconciliationResults;
  const query = db
    .select({
      paymentId: r.paymentId, seq: r.seq, outcome: r.outcome, ownerKind: r.ownerKind, feeTypeCode: r.feeTypeCode, bankTxnRef: r.bankTxnRef,
      portalAmount: r.portalAmount, bankAmount: r.bankAmount, agencyAmount: r.agencyAmount,
      portalStatus: r.portalStatus, bankStatus: r.bankStatus, agencyStatus: r.agencyStatus,
    })
    .from(r)
    .where(and(eq(r.txnDate, params.txnDate), eq(r.agency, params.agency), eq(r.bank, params.bank), params.outcome ? eq(r.outcome, params.outcome) : undefined))
    .orderBy(asc(r.paymentId), asc(r.seq));
  return params.limit ? query.limit(params.limit) : query;
}

export interface ReportCursor {
  txnDate: string;
  agency: string;
  bank: string;
  paymentId: string;
  seq: number;
}

/** Detail of a period (Art 34.3d "chi tiết"), in (day, agency, bank, payment, occurrence) order, a page at a time. */
export function reportDetail(db: Executor, f: ReportFilters & { after?: ReportCursor; limit: number }) {
  const r = reconciliationResults;
  const after = f.after
    ? sql`(${r.txnDate}, ${r.agency}, ${r.bank}, ${r.paymentId}, ${r.seq}) > (${f.after.txnDate}::date, ${f.after.agency}, ${f.after.bank}, ${f.after.paymentId}, ${f.after.seq})`
    : undefined;
  return db
    .select({
      txnDate: r.txnDate, agency: r.agency, bank: r.bank, paymentId: r.paymentId, seq: r.seq, outcome: r.outcome, ownerKind: r.ownerKind,
      feeTypeCode: r.feeTypeCode, bankTxnRef: r.bankTxnRef, portalAmount: r.portalAmount, bankAmount: r.bankAmount, agencyAmount: r.agencyAmount,
      portalStatus: r.portalStatus, bankStatus: r.bankStatus, agencyStatus: r.agencyStatus,
    })
    .from(r)
    .where(and(reportWhere(f), after))
    .orderBy(asc(r.txnDate), asc(r.agency), asc(r.bank), asc(r.paymentId), asc(r.seq))
    .limit(f.limit);
}

/**
 * The days × agency × bank of a period still awaiting a party's upload (Art 34.2): how many
 * payments wait, and which party (bank statement, agency records) has not uploaded.
 */
export async function awaitingUploads(db: Executor, f: ReportScope & { from: string; to: string }) {
  const rows = await db.execute<{ txn_date: string; agency: string; bank: string; payments: number; bank_in: boolean; agency_in: boolean }>(sql`
    select r.txn_date::text as txn_date, r.agency, r.bank, sum(r.transactions)::int as payments,
      exists (select 1 from reconciliation_uploads u where u.source = 'bank' and u.agency = r.agency and u.bank = r.bank and u.txn_date = r.txn_date) as bank_in,
      exists (select 1 from reconciliation_uploads u where u.source = 'agency' and u.agency = r.agency and u.bank = r.bank and u.txn_date = r.txn_date) as agency_in
    from reconciliation_summaries r
    where r.outcome = 'awaitingUpload' and r.txn_date between ${f.from}::date and ${f.to}::date
      ${f.agency ? sql`and r.agency = ${f.agency}` : sql``} ${f.bank ? sql`and r.bank = ${f.bank}` : sql``}
    group by r.txn_date, r.agency, r.bank
    order by r.txn_date, r.agency, r.bank`);
  return [...rows].map((row) => ({
    txnDate: row.txn_date, agency: row.agency, bank: row.bank, payments: row.payments,
    awaiting: [...(row.bank_in ? [] : ['bank' as const]), ...(row.agency_in ? [] : ['agency' as const])],
  }));
}

export function listReconciledDays(db: Executor, limit: number) {
  return db.select().from(reconciliationDays).orderBy(sql`${reconciliationDays.txnDate} desc`).limit(limit);
}

// ---- discrepancies projection ----

export interface DiscrepancyRow {
  id: string;
  txnDate: string;
  agency: string;
  bank: string;
  paymentId: string;
  seq: number;
  kind: string;
  ownerKind: 'bank' | 'agency';
  owner: string;
  status: 'open' | 'resolved';
  cause?: string;
  resolution?: string;
  dueAt?: string;
  breached: boolean;
  refundId?: string;
  portalAmount?: number;
  bankAmount?: number;
  agencyAmount?: number;
  revision: number;
  detectedAt: string;
  resolvedAt?: string;
}

export async function upsertDiscrepancy(db: Executor, d: DiscrepancyRow): Promise<void> {
  const row = {
    ...d,
    cause: d.cause ?? null,
    resolution: d.resolution ?? null,
    dueAt: d.dueAt ? new Date(d.dueAt) : null,
    refundId: d.refundId ?? null,
    portalAmount: d.portalAmount ?? null,
    bankAmount: d.bankAmount ?? null,
    agencyAmount: d.agencyAmount ?? null,
    detectedAt: new Date(d.detectedAt),
    resolvedAt: d.resolvedAt ? new Date(d.resolvedAt) : null,
    updatedAt: new Date(),
  };
  const { id: _id, ...updatable } = row;
  await db.insert(discrepancies).values(row).onConflictDoUpdate({ target: discrepancies.id, set: updatable, setWhere: sql`${discrepancies.revision} < excluded.revision` });
}

export function listDiscrepancies(db: Executor, params: ReportScope & { txnDate?: string; status?: 'open' | 'resolved'; after?: string; limit: number }) {
  const d = discrepancies;
  return db
    .select()
    .from(d)
    .where(and(
      params.agency ? eq(d.agency, params.agency) : undefined,
      params.bank ? eq(d.bank, params.bank) : undefined,
      params.txnDate ? eq(d.txnDate, params.txnDate) : undefined,
      params.status ? eq(d.status, params.status) : undefined,
      params.after ? gt(d.id, params.after) : undefined,
    ))
    .orderBy(asc(d.id))
    .limit(params.limit);
}

export async function findDiscrepancy(db: Executor, id: string) {
  const [row] = await db.select().from(discrepancies).where(eq(discrepancies.id, id));
  return row;
}

// ---- refunds projection and payouts ----

export interface RefundRow {
  id: string;
  origin: (typeof refunds.origin.enumValues)[number];
  paymentId: string;
  agency: string;
  bank: string;
  bankTxnRef: string;
  amount: number;
  reason: string;
  status: (typeof refunds.status.enumValues)[number];
  responsibleKind: 'bank' | 'agency';
  finding?: string;
  discrepancyId?: string;
  revision: number;
  createdAt: string;
}

export async function upsertRefund(db: Executor, r: RefundRow): Promise<void> {
  const row = { ...r, finding: r.finding ?? null, discrepancyId: r.discrepancyId ?? null, createdAt: new Date(r.createdAt), updatedAt: new Date() };
  const { id: _id, ...updatable } = row;
  await db.insert(refunds).values(row).onConflictDoUpdate({ target: refunds.id, set: updatable, setWhere: sql`${refunds.revision} < excluded.revision` });
}

/** Refunds, newest first (ties: the later id first), one keyset page after `after` (issue 18.3; `refunds_created_idx`). */
export function listRefunds(db: Executor, params: ReportScope & { status?: RefundRow['status']; paymentId?: string; limit: number; after?: [createdAt: string, id: string] }) {
  return db
    .select()
    .from(refunds)
    .where(and(
      params.agency ? eq(refunds.agency, params.agency) : undefined,
      params.bank ? eq(refunds.bank, params.bank) : undefined,
      params.status ? eq(refunds.status, params.status) : undefined,
      params.paymentId ? eq(refunds.paymentId, params.paymentId) : undefined,
      params.after ? keysetAfter('desc', [refunds.createdAt, refunds.id], params.after, ['timestamptz']) : undefined,
    ))
    .orderBy(desc(refunds.createdAt), desc(refunds.id))
    .limit(params.limit);
}

export async function findRefund(db: Executor, id: string) {
  const [row] = await db.select().from(refunds).where(eq(refunds.id, id));
  return row;
}

export type PayoutOutcome = { outcome: 'paid' | 'alreadyPaid'; payoutRef: string; paidAt: string } | { outcome: 'debitAlreadyRefunded'; byRefund: string };

/**
 * Records money returned to the payer, exactly once: the refund id and the (payment, debit) are
 * unique, so a retry finds its own row (alreadyPaid) and another refund of the same debit is told
 * which refund already paid it.
 */
export async function recordPayout(
  db: Executor,
  p: { refundId: string; paymentId: string; bankTxnRef: string; amount: number; paidByKind: 'bank' | 'agency'; paidBy: string; payoutRef: string; paidAt: string },
): Promise<PayoutOutcome> {
  const [inserted] = await db
    .insert(refundPayouts)
    .values({ ...p, paidAt: new Date(p.paidAt) })
    .onConflictDoNothing()
    .returning({ payoutRef: refundPayouts.payoutRef, paidAt: refundPayouts.paidAt });
  if (inserted) return { outcome: 'paid', payoutRef: inserted.payoutRef, paidAt: inserted.paidAt.toISOString() };
  const [own] = await db.select().from(refundPayouts).where(eq(refundPayouts.refundId, p.refundId));
  if (own) return { outcome: 'alreadyPaid', payoutRef: own.payoutRef, paidAt: own.paidAt.toISOString() };
  const [other] = await db
    .select({ refundId: refundPayouts.refundId })
    .from(refundPayouts)
    .where(and(eq(refundPayouts.paymentId, p.paymentId), eq(refundPayouts.bankTxnRef, p.bankTxnRef)));
  if (!other) throw new Error(`payout for refund ${p.refundId} neither inserted nor found`);
  return { outcome: 'debitAlreadyRefunded', byRefund: other.refundId };
}

export function payoutsOf(db: Executor, paymentId: string) {
  return db.select().from(refundPayouts).where(eq(refundPayouts.paymentId, paymentId));
}

/**
 * The debits a payment actually took from the payer: the Portal's debit (the bank's amount when
 * reconciliation saw more) and every further successful debit reconciliation found (duplicates).
 * Only these can be refunded, each at most its own amount.
 */
export async function debitsOf(db: Executor, payment: { paymentId: string; bankTxnRef: string | null; amount: number; debited: boolean }) {
  const r = reconciliationResults;
  const seen = await db
    .select({ bankTxnRef: r.bankTxnRef, amount: r.bankAmount, outcome: r.outcome })
    .from(r)
    .where(and(eq(r.paymentId, payment.paymentId), eq(r.bankStatus, 'success')));
  const debits = new Map<string, number>();
  if (payment.debited && payment.bankTxnRef) debits.set(payment.bankTxnRef, payment.amount);
  for (const s of seen) {
    if (!s.bankTxnRef || s.amount === null) continue;
    const known = debits.get(s.bankTxnRef);
    if (known !== undefined) debits.set(s.bankTxnRef, Math.max(known, s.amount));
    else if (s.outcome === 'duplicate') debits.set(s.bankTxnRef, s.amount);
  }
  return [...debits].map(([bankTxnRef, amount]) => ({ bankTxnRef, amount }));
}

/** Refund cases of one debit that may still pay or have paid (not rejected, not superseded). */
export function liveRefundsOfDebit(db: Executor, paymentId: string, bankTxnRef: string) {
  return db
    .select({ id: refunds.id, amount: refunds.amount, status: refunds.status })
    .from(refunds)
    .where(and(eq(refunds.paymentId, paymentId), eq(refunds.bankTxnRef, bankTxnRef), sql`${refunds.status} not in ('rejected', 'alreadyRefunded')`));
}
