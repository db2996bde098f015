import { and, asc, desc, eq, gt, gte, inArray, lte, ne, sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { setTimeout as sleep } from 'node:timers/promises';
import { withReservedConnection, type Database, type Executor } from '../client.js';
import { keysetAfter } from './keyset.js';
import { plannedRows } from './list-total.js';
import { refundRecord, type RefundView } from '../../domain/payments/refund.js';
import { businessKeys, discrepancies, payments, reconciliationDays, reconciliationLines, reconciliationResults, reconciliationSummaries, reconciliationUploads, refundPayouts, refunds } from '../schema/index.js';

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
    // The day sums (`reconcileDay`) hold a party's total per pair in a bigint: an upload whose lines
    // total more (1,025 lines at the API's largest amount) would stop the day's reconciliation of
    // every agency and bank. The cast raises 22003 out of range: nothing is stored, the API answers 400.
    await tx.execute(sql`select sum(amount)::bigint from reconciliation_lines where source = ${key.source} and agency = ${key.agency} and bank = ${key.bank} and txn_date = ${key.txnDate}::date`);
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

/**
 * Planner settings of the reconciliation statement only (SET LOCAL). work_mem: the hash of a day's
 * million payment ids stays in memory (about 400 MB at 1,000,000; hash_mem_multiplier 2). Sorts
 * and nested loops off: the planner underestimates the keys of a day and would sort the million
 * rows or probe the uploads once per row; what a day needs is hashing (the few per-key lookups of
 * duplicates still run as index lookups, the only plan they have). One backend, no parallel workers:
 * they only repeat the hashing of keys spread over every worker. JIT compiles the expressions and
 * the tuple deforming but never optimizes or inlines: the disabled paths inflate the plan's cost past
 * every JIT threshold (that bought ~1 s of LLVM optimization for nothing), so `reconcileDay` decides
 * itself — JIT from `JIT_FROM_PAYMENTS` estimated payments of the day: its ~0.2 s of compilation is
 * repaid by ≈0.4 s at 1,000,000 and lost at 200,000 (+0.07 s).
 */
export const RECONCILIATION_WORK_MEM = '256MB';
const RECONCILIATION_SETTINGS = [
  `set local work_mem = '${RECONCILIATION_WORK_MEM}'`,
  'set local max_parallel_workers_per_gather = 0',
  'set local enable_sort = off',
  'set local enable_nestloop = off',
  'set local jit_optimize_above_cost = -1',
  'set local jit_inline_above_cost = -1',
];
export const JIT_FROM_PAYMENTS = 300_000;

/** The rows of one day (and optionally one agency × bank) of each source. */
interface DayScope {
  txnDate: string;
  agency?: string;
  bank?: string;
}

const pairOf = (s: DayScope, agency: SQL, bank: SQL) => sql`${s.agency ? sql`and ${agency} = ${s.agency}` : sql``} ${s.bank ? sql`and ${bank} = ${s.bank}` : sql``}`;
/** What a difference row keeps of its transaction besides its group's key (the one row's values). */
const DIFFERENCE_VALUES = ['p', 'b', 'a', 'bank_txn_ref'] as const;
/**
 * Each side's record of a transaction as one number (null: the side has no record): its amount when
 * successful, -1 − amount when failed (amounts are never negative). A million keys go through a
 * dozen comparisons each: a status is a sign (`v >= 0` successful), equal numbers are equal amounts
 * and statuses, and one max() per side carries both. `amountOf` and `statusText` take them apart
 * where a row is stored or listed.
 */
const signed = (successful: string, amount: string) => `case when ${successful} then ${amount} else -1 - ${amount} end`;
const amountOf = (v: string) => `case when ${v} >= 0 then ${v} else -1 - ${v} end`;
const statusText = (v: string) => `case when ${v} >= 0 then 'success' when ${v} < 0 then 'failed' end`;

/**
 * One side's lines of the payment ids it records more than once, each occurrence numbered: the
 * occurrence the Portal knows (same bank reference) first, then successful ones, then by reference.
 */
const multiSide = (source: ReconciliationSource, s: DayScope) => sql`
  select l.agency, l.bank, l.payment_id, ${sql.raw(signed("l.status = 'success'", 'l.amount'))} as v, l.bank_txn_ref, l.fee_type_code,
         row_number() over (
           partition by l.agency, l.bank, l.payment_id
           order by (l.bank_txn_ref = pay.bank_txn_ref) is not true, l.status <> 'success', l.bank_txn_ref collate "C"
         ) as seq
  from multi_keys k
  cross join lateral (
    select * from reconciliation_lines l
    where l.source = ${source} and l.agency = k.agency and l.bank = k.bank and l.txn_date = ${s.txnDate}::date and l.payment_id = k.payment_id offset 0
  ) l
  left join lateral (select bank_txn_ref from payments where id = l.payment_id offset 0) pay on true`;

/**
 * The three sources of a day side by side, in two parts. `dayKeys` (CTE `single`): one row per
 * (agency, bank, payment id) with what the Portal (p), the bank (b) and the agency (a) recorded
 * (`signed`) — the Portal's payments and both parties' lines, UNION ALL, grouped by the key in one
 * hash (the 3-way join without joining), read once, with as few aggregates as the key needs: one
 * max() per side, the Portal's fee type, a count. A key is flagged `multi` when a party records it
 * more than once (a second debit: more rows than sides) or the Portal has no payment for it (its fee
 * type is then the bank's, else the agency's: not worth an aggregate per source for every key):
 * its values there mean nothing, `dayOccurrences` takes it apart (CTE `occurrences`): the
 * occurrences are numbered on each side (`multiSide`) and the first ones meet in FULL OUTER JOINs on
 * (agency, bank, payment, seq); a further one (seq > 1) stands alone. The bank reference shown is
 * the bank's, else the Portal's, else the agency's (a digit in front of the reference orders the
 * sources in min(), byte order); the fee type the Portal's, else the bank's, else the agency's.
 */
function dayKeys(s: DayScope, { refs = true } = {}): SQL {
  // Without refs (the day's run), the bank reference is left null here: only a difference shows it, looked up when written.
  const ref = (r: string) => sql.raw(refs ? `${r} || bank_txn_ref` : 'null::text');
  const line = (source: ReconciliationSource) => sql.raw(`case when source = '${source}' then ${signed("status = 'success'", 'amount')} end`);
  return sql`
    u as (
      select agency, payer_bank as bank, id as payment_id, ${sql.raw(signed("status in ('debited', 'settled')", 'amount'))} as p,
             null::bigint as b, null::bigint as a, fee_type_code as fee, ${ref("'2'")} as ref
      from payments
      where txn_date = ${s.txnDate}::date and payer_bank is not null ${pairOf(s, sql`agency`, sql`payer_bank`)}
      union all
      select agency, bank, payment_id, null, ${line('bank')}, ${line('agency')}, null, ${ref("case when source = 'bank' then '1' else '3' end")}
      from reconciliation_lines
      where txn_date = ${s.txnDate}::date ${pairOf(s, sql`agency`, sql`bank`)}
    ),
    single as (
      select agency, bank, payment_id, 1::bigint as seq, max(p) as p, max(b) as b, max(a) as a,
             ${refs ? sql`substr(min(ref collate "C"), 2)` : sql`null::text`} as bank_txn_ref, max(fee) as fee_type_code,
             max(p) is null or count(*) > 1 + (max(b) is not null)::int + (max(a) is not null)::int as multi
      from u
      group by agency, bank, payment_id
    )`;
}

/** The occurrences of the keys `multiKeys` selects (agency, bank, payment_id): see `dayKeys`. */
function dayOccurrences(s: DayScope, multiKeys: SQL): SQL {
  return sql`
    multi_keys as (${multiKeys}),
    p as (
      select pay.agency, pay.payer_bank as bank, pay.id as payment_id, 1 as seq, ${sql.raw(signed("pay.status in ('debited', 'settled')", 'pay.amount'))} as v,
             pay.bank_txn_ref, pay.fee_type_code
      from multi_keys k
      cross join lateral (
        select * from payments where id = k.payment_id and agency = k.agency and payer_bank = k.bank and txn_date = ${s.txnDate}::date offset 0
      ) pay
    ),
    b as (${multiSide('bank', s)}),
    a as (${multiSide('agency', s)}),
    pb as (
      select coalesce(p.agency, b.agency) as agency, coalesce(p.bank, b.bank) as bank,
             coalesce(p.payment_id, b.payment_id) as payment_id, coalesce(p.seq, b.seq) as seq, p.v as p, b.v as b,
             coalesce(b.bank_txn_ref, p.bank_txn_ref) as bank_txn_ref, coalesce(p.fee_type_code, b.fee_type_code) as fee_type_code
      from p full join b on b.agency = p.agency and b.bank = p.bank and b.payment_id = p.payment_id and b.seq = p.seq
    ),
    occurrences as (
      select coalesce(pb.agency, a.agency) as agency, coalesce(pb.bank, a.bank) as bank, coalesce(pb.payment_id, a.payment_id) as payment_id,
             coalesce(pb.seq, a.seq) as seq, pb.p, pb.b, a.v as a,
             coalesce(pb.bank_txn_ref, a.bank_txn_ref) as bank_txn_ref, coalesce(pb.fee_type_code, a.fee_type_code) as fee_type_code, false as multi
      from pb full join a on a.agency = pb.agency and a.bank = pb.bank and a.payment_id = pb.payment_id and a.seq = pb.seq
    )`;
}

/**
 * Outcomes as numbers through the classification and grouping of a day's million keys (the enum's
 * text only where a row is written): `OUTCOME_CODES[n]` is outcome n; `MULTI` a key taken apart elsewhere.
 */
const OUTCOME_CODES = ['matched', 'awaitingUpload', 'missingAtPortal', 'missingAtBank', 'missingAtAgency', 'statusMismatch', 'amountMismatch', 'duplicate'] as const satisfies readonly ReconciliationOutcome[];
const MULTI = -1;
const code = (o: (typeof OUTCOME_CODES)[number]) => OUTCOME_CODES.indexOf(o);
const outcomeOf = (column: string) => `(array[${OUTCOME_CODES.map((o) => `'${o}'`).join(', ')}]::text[])[${column} + 1]`;

/**
 * Each row of `rows` with its outcome code `oc` (rules: `reconcileDay`; a side "has" a payment when
 * its number is ≥ 0, `signed`); a key flagged `multi` is `MULTI`, taken apart elsewhere. `offset 0`
 * keeps the classification one evaluation per row (inlined, the grouping repeated it in every column
 * computed from it).
 */
const classify = (rows: string) => sql.raw(`
  select y.*, y.oc <> ${code('matched')} as differs from (
  select x.*,
    case
      when x.multi then ${MULTI}
      -- Nearly every key: the three sides record the same success or failure and amount, both parties are in.
      when p = b and p = a and b_in and a_in then ${code('matched')}
      when seq > 1 then case when b >= 0 or a >= 0 then ${code('duplicate')} else ${code('matched')} end
      when p is null and b >= 0 then ${code('missingAtPortal')}
      when not b_in and (p >= 0 or (a >= 0 and p is null)) then ${code('awaitingUpload')}
      when p >= 0 and b is null then ${code('missingAtBank')}
      when a_in and (p >= 0 or b >= 0) and a is null then ${code('missingAtAgency')}
      when a >= 0 and p is null and b is null then ${code('missingAtBank')}
      when (p >= 0) <> (b >= 0) or (a >= 0) <> (p >= 0) or (a >= 0) <> (b >= 0) then ${code('statusMismatch')}
      when (p >= 0 and b >= 0 and p <> b) or (a >= 0 and ((p >= 0 and a <> p) or (b >= 0 and a <> b))) then ${code('amountMismatch')}
      when not (b_in and a_in) then ${code('awaitingUpload')}
      else ${code('matched')}
    end as oc
  from (
    select r.*, coalesce(i.b_in, false) as b_in, coalesce(i.a_in, false) as a_in
    from ${rows} r left join pairs_in i on i.agency = r.agency and i.bank = r.bank
  ) x
  offset 0
  ) y`);

/**
 * The classified rows of `rows` grouped: a difference (or a key taken apart elsewhere) is a group of
 * its own, its payment and occurrence in the key and its values as min() of its one row; the
 * matched rows of a day × pair × fee type × status (the Portal's, else the bank's, else the
 * agency's) share one group, counted and summed.
 */
const groupClassified = (rows: string) => sql.raw(`
  select agency, bank, oc, fee_type_code, coalesce(p, b, a) >= 0 as successful,
    case when differs then payment_id end as d_payment_id, case when differs then seq end as d_seq,
    ${DIFFERENCE_VALUES.map((c) => `min(${c}) filter (where differs) as d_${c}`).join(', ')},
    count(*)::int as transactions,
    coalesce(sum(p) filter (where p >= 0), 0) as portal_total,
    coalesce(sum(b) filter (where b >= 0), 0) as bank_total,
    coalesce(sum(a) filter (where a >= 0), 0) as agency_total
  from ${rows}
  group by agency, bank, oc, fee_type_code, coalesce(p, b, a) >= 0, d_payment_id, d_seq`);

/**
 * The three-way comparison of one day (Art 34.4 a–c), set-based and in one statement, for every
 * agency × bank at once: the three sources side by side (`dayKeys`), each row classified, and
 * the classified rows grouped (`groupClassified`) so that every difference stays one row while the
 * matched rows of a day × agency × bank × fee type × status collapse into one count with its sums;
 * the few keys a party records more than once are then taken apart (`dayOccurrences`) and
 * classified and grouped the same way. From that small result the same statement writes the differences
 * (`reconciliation_results`: every outcome but `matched`, `awaitingUpload` included) and the day's
 * sums (`reconciliation_summaries`: every outcome). A matched transaction is never written; the
 * detail lists it from the source records at read time (`dayDetail`). A re-run replaces both.
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
    for (const setting of RECONCILIATION_SETTINGS) await tx.execute(sql.raw(setting));
    if ((await plannedRows(tx, sql`select 1 from payments where txn_date = ${txnDate}::date`)) < JIT_FROM_PAYMENTS) await tx.execute(sql`set local jit = off`);
    await tx.delete(reconciliationResults).where(eq(reconciliationResults.txnDate, txnDate));
    await tx.delete(reconciliationSummaries).where(eq(reconciliationSummaries.txnDate, txnDate));
    const inserted = await tx.execute<{ outcome: string; n: number }>(sql`
      with ${dayKeys({ txnDate }, { refs: false })},
      pairs_in as materialized (
        select agency, bank, bool_or(source = 'bank') as b_in, bool_or(source = 'agency') as a_in
        from reconciliation_uploads where txn_date = ${txnDate}::date group by agency, bank
      ),
      classified as (${classify('single')}),
      -- The million keys pass once: the few taken apart are read back from this small result.
      grouped as materialized (${groupClassified('classified')}),
      ${dayOccurrences({ txnDate }, sql`select agency, bank, d_payment_id as payment_id from grouped where oc = ${sql.raw(String(MULTI))}`)},
      classified_occurrences as (${classify('occurrences')}),
      -- The outcome's text from here on: a few thousand rows.
      day as materialized (
        select d.*, ${sql.raw(outcomeOf('d.oc'))} as outcome from (
          select *, true as keyed from grouped where oc <> ${sql.raw(String(MULTI))}
          union all
          select *, false from (${groupClassified('classified_occurrences')}) o
        ) d
      ),
      differences as (
        insert into reconciliation_results
          (txn_date, agency, bank, payment_id, seq, outcome, owner_kind, portal_amount, bank_amount, agency_amount, portal_status, bank_status, agency_status, bank_txn_ref, fee_type_code)
        select ${txnDate}::date, agency, bank, d_payment_id, d_seq, outcome::reconciliation_outcome,
          case
            when outcome = 'awaitingUpload' then null
            when outcome = 'duplicate' then case when d_b >= 0 then 'bank' else 'agency' end
            when outcome = 'missingAtAgency' then 'agency'
            when outcome = 'missingAtBank' and d_p is null and d_b is null then 'agency'
            when outcome = 'statusMismatch' and (d_p >= 0) is not distinct from (d_b >= 0) then 'agency'
            when outcome = 'amountMismatch' and ${sql.raw(amountOf('d_p'))} is not distinct from ${sql.raw(amountOf('d_b'))} then 'agency'
            else 'bank'
          end::discrepancy_owner_kind,
          ${sql.raw(['d_p', 'd_b', 'd_a'].map(amountOf).join(', '))}, ${sql.raw(['d_p', 'd_b', 'd_a'].map(statusText).join(', '))},
          -- A key's reference (its bank's, else the Portal's, else its agency's: each records it at most once), an occurrence's its own.
          case when not keyed then d_bank_txn_ref else coalesce(
            (select l.bank_txn_ref from reconciliation_lines l where l.source = 'bank' and l.agency = day.agency and l.bank = day.bank and l.txn_date = ${txnDate}::date and l.payment_id = day.d_payment_id),
            (select p.bank_txn_ref from payments p where p.id = day.d_payment_id and p.agency = day.agency and p.payer_bank = day.bank and p.txn_date = ${txnDate}::date),
            (select l.bank_txn_ref from reconciliation_lines l where l.source = 'agency' and l.agency = day.agency and l.bank = day.bank and l.txn_date = ${txnDate}::date and l.payment_id = day.d_payment_id)
          ) end,
          fee_type_code
        from day
        where outcome <> 'matched'
      ),
      sums as (
        insert into reconciliation_summaries
          (txn_date, agency, bank, fee_type_code, outcome, status, transactions, portal_total, bank_total, agency_total)
        select ${txnDate}::date, agency, bank, coalesce(fee_type_code, ''), outcome::reconciliation_outcome, case when successful then 'success' else 'failed' end,
          sum(transactions)::int, sum(portal_total), sum(bank_total), sum(agency_total)
        from day
        group by agency, bank, coalesce(fee_type_code, ''), outcome, successful
      )
      select outcome, sum(transactions)::int as n from day group by outcome
    `);
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
    // Every stored row but those awaiting an upload (a match has no row); the primary key serves the day and order.
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

/** A detail's filters within one day × agency × bank (Art 34.3 c–d). */
export interface DetailFilters {
  feeTypeCode?: string;
  outcome?: ReconciliationOutcome;
  status?: 'success' | 'failed';
}

export interface DetailRow {
  paymentId: string;
  seq: number;
  outcome: string;
  ownerKind: string | null;
  feeTypeCode: string | null;
  bankTxnRef: string | null;
  portalAmount: number | null;
  bankAmount: number | null;
  agencyAmount: number | null;
  portalStatus: string | null;
  bankStatus: string | null;
  agencyStatus: string | null;
}

/** The detail's columns in the order `dayDetailQuery` selects them (a CSV streams them by position). */
export const DAY_DETAIL_COLUMNS = [
  'paymentId', 'seq', 'outcome', 'ownerKind', 'feeTypeCode', 'bankTxnRef', 'portalAmount', 'bankAmount', 'agencyAmount', 'portalStatus', 'bankStatus', 'agencyStatus',
] as const satisfies readonly (keyof DetailRow)[];

type DayDetailParams = DetailFilters & { txnDate: string; agency: string; bank: string; after?: { paymentId: string; seq: number }; limit?: number };

/**
 * Detail of one day × agency × bank (Art 34.3d "chi tiết"), in (payment, occurrence) order: the
 * differences as the day's run stored them, and every other transaction of the pair as `matched`,
 * listed from the source records at read time (`dayKeys`, `dayOccurrences` for this pair only) — the run writes
 * no row for a match. Matched transactions are listed only for a pair the run found matches in
 * (its day sums), so a day not reconciled lists nothing but stored rows.
 */
function dayDetailSql(p: DayDetailParams): SQL {
  const listsMatched = !p.outcome || p.outcome === 'matched';
  const stored = sql`r.txn_date = ${p.txnDate}::date and r.agency = ${p.agency} and r.bank = ${p.bank}`;
  return sql`
    with ${listsMatched ? sql`${dayKeys(p)}, ${dayOccurrences(p, sql`select agency, bank, payment_id from single where multi`)},` : sql``}
    detail as (
      select r.payment_id, r.seq, r.outcome::text as outcome, r.owner_kind::text as owner_kind, r.fee_type_code, r.bank_txn_ref,
             r.portal_amount, r.bank_amount, r.agency_amount, r.portal_status, r.bank_status, r.agency_status
      from reconciliation_results r
      where ${stored} ${p.outcome ? sql`and r.outcome = ${p.outcome}` : sql``}
      ${listsMatched ? sql`
      union all
      select j.payment_id, j.seq::int, 'matched', null, j.fee_type_code, j.bank_txn_ref, ${sql.raw(['j.p', 'j.b', 'j.a'].map(amountOf).join(', '))},
             ${sql.raw(['j.p', 'j.b', 'j.a'].map(statusText).join(', '))}
      from (select * from single where not multi union all select * from occurrences) j
      where exists (select 1 from reconciliation_summaries s where s.txn_date = ${p.txnDate}::date and s.agency = ${p.agency} and s.bank = ${p.bank} and s.outcome = 'matched')
        and not exists (select 1 from reconciliation_results r where ${stored} and r.payment_id = j.payment_id and r.seq = j.seq)` : sql``}
    )
    select payment_id as "paymentId", seq, outcome, owner_kind as "ownerKind", fee_type_code as "feeTypeCode", bank_txn_ref as "bankTxnRef",
           portal_amount as "portalAmount", bank_amount as "bankAmount", agency_amount as "agencyAmount",
           portal_status as "portalStatus", bank_status as "bankStatus", agency_status as "agencyStatus"
    from detail
    where true
      ${p.feeTypeCode ? sql`and fee_type_code = ${p.feeTypeCode}` : sql``}
      ${p.status ? sql`and coalesce(portal_status, bank_status, agency_status) = ${p.status}` : sql``}
      ${p.after ? sql`and (payment_id, seq) > (${p.after.paymentId}, ${p.after.seq})` : sql``}
    order by payment_id, seq
    ${p.limit ? sql`limit ${p.limit}` : sql``}`;
}

const dialect = new PgDialect();

/** The day detail as a statement for `streamRows` (a CSV download of any size, columns `DAY_DETAIL_COLUMNS`). */
export function dayDetailQuery(params: DayDetailParams): { toSQL(): { sql: string; params: unknown[] } } {
  return { toSQL: () => dialect.sqlToQuery(dayDetailSql(params)) };
}

const amount = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** The day detail as rows (JSON). */
export async function dayDetail(db: Executor, params: DayDetailParams): Promise<DetailRow[]> {
  const rows = await db.execute<Record<keyof DetailRow, unknown>>(dayDetailSql(params));
  return [...rows].map((r) => ({
    ...(r as unknown as DetailRow),
    seq: Number(r.seq),
    portalAmount: amount(r.portalAmount),
    bankAmount: amount(r.bankAmount),
    agencyAmount: amount(r.agencyAmount),
  }));
}

export interface ReportCursor {
  txnDate: string;
  agency: string;
  bank: string;
  paymentId: string;
  seq: number;
}

/**
 * Detail of a period (Art 34.3d "chi tiết"), in (day, agency, bank, payment, occurrence) order, a
 * page at a time: the day × pairs come from the day sums (only those with a row the filters keep),
 * each pair's transactions from `dayDetail`, until the page is full.
 */
export async function reportDetail(db: Executor, f: ReportFilters & { after?: ReportCursor; limit: number }): Promise<(DetailRow & { txnDate: string; agency: string; bank: string })[]> {
  const s = reconciliationSummaries;
  const page: (DetailRow & { txnDate: string; agency: string; bank: string })[] = [];
  let from = f.after ? { ...f.after, inclusive: true } : undefined;
  while (page.length < f.limit) {
    const pairs = await db
      .selectDistinct({ txnDate: s.txnDate, agency: s.agency, bank: s.bank })
      .from(s)
      .where(and(
        summaryWhere(f),
        from ? sql`(${s.txnDate}, ${s.agency}, ${s.bank}) ${sql.raw(from.inclusive ? '>=' : '>')} (${from.txnDate}::date, ${from.agency}, ${from.bank})` : undefined,
      ))
      .orderBy(asc(s.txnDate), asc(s.agency), asc(s.bank))
      .limit(100);
    for (const pair of pairs) {
      const within = f.after && pair.txnDate === f.after.txnDate && pair.agency === f.after.agency && pair.bank === f.after.bank ? f.after : undefined;
      const rows = await dayDetail(db, { ...pair, feeTypeCode: f.feeTypeCode, outcome: f.outcome, status: f.status, after: within, limit: f.limit - page.length });
      page.push(...rows.map((r) => ({ txnDate: pair.txnDate, agency: pair.agency, bank: pair.bank, ...r })));
      if (page.length >= f.limit) break;
    }
    const last = pairs.at(-1);
    if (pairs.length < 100 || !last) break;
    from = { ...last, paymentId: '', seq: 0, inclusive: false };
  }
  return page;
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

/** A refunds projection row: what `refundRecord` (domain) makes of a refund's view at one revision. */
export type RefundRow = ReturnType<typeof refundRecord>;

const refundTableRow = (r: RefundRow) =>
  ({ ...r, finding: r.finding ?? null, discrepancyId: r.discrepancyId ?? null, createdAt: new Date(r.createdAt), updatedAt: new Date() });

export async function upsertRefund(db: Executor, r: RefundRow): Promise<void> {
  const row = refundTableRow(r);
  // The id and the opening instant stay as first written (the API's row or the workflow's): the
  // keyset cursor of the list pages on created_at, which must not move under a reader.
  const { id: _id, createdAt: _createdAt, ...updatable } = row;
  await db.insert(refunds).values(row).onConflictDoUpdate({ target: refunds.id, set: updatable, setWhere: sql`${refunds.revision} < excluded.revision` });
}

/**
 * Read your writes after the API started a refund (Art 34.6), in one statement: its business key
 * is marked started and the refund's first projection row (the state it starts in, revision 0) is
 * landed, so a GET right after the 201 finds it without waiting for the worker. The row never
 * replaces one: the workflow's own writes (revision 1 on) win whether they land before or after it.
 */
export async function landStartedRefund(db: Executor, view: RefundView, business: { kind: string; key: string }): Promise<void> {
  const marked = db.$with('marked').as(
    db.update(businessKeys).set({ started: true })
      .where(and(eq(businessKeys.kind, business.kind), eq(businessKeys.key, business.key), ne(businessKeys.started, true)))
      .returning({ key: businessKeys.key }),
  );
  await db.with(marked).insert(refunds).values(refundTableRow(refundRecord(view, 0))).onConflictDoNothing({ target: refunds.id });
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

/** How long a refund start waits for another start of the same debit before it is told to retry. */
export const REFUND_START_LOCK_WAIT_MS = 5_000;
const REFUND_START_LOCK_POLL_MS = 20;

/**
 * Runs `start` alone among the refund starts of one debit (Art 34.6: one live refund case per
 * debit): a payer's request and the agency's own refund have different business keys, so without it
 * both could pass the live-refund check before either one's first row lands.
 *
 * A session advisory lock on a connection reserved for the start, held across check → key claim →
 * Temporal start → first row, and every statement of `start` runs on that connection (`locked`):
 * each write commits as it goes (the key is claimed before Temporal starts the case, as everywhere),
 * no transaction stays open across the Temporal call, and the start never needs a second pool
 * connection while it holds one (no pool starvation). A broken connection ends the session and
 * with it the lock. The wait is bounded by polling `pg_try_advisory_lock`, which leaves no setting
 * behind on the pooled connection: after `waitMs` the answer is `acquired: false`.
 */
export async function withRefundStartLock<T>(
  db: Database,
  debit: { paymentId: string; bankTxnRef: string },
  start: (locked: Database) => Promise<T>,
  waitMs = REFUND_START_LOCK_WAIT_MS,
): Promise<{ acquired: true; value: T } | { acquired: false }> {
  return withReservedConnection(db, async ({ db: locked, sql: reserved }) => {
    // Two-key form: its own lock space, apart from the one-key locks elsewhere; a hash collision only serializes two starts.
    const key = reserved`hashtext('refund-start'), hashtext(${debit.paymentId} || '|' || ${debit.bankTxnRef})`;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const [{ held }] = await reserved<[{ held: boolean }]>`select pg_try_advisory_lock(${key}) as held`;
      if (held) break;
      if (Date.now() >= deadline) return { acquired: false };
      await sleep(REFUND_START_LOCK_POLL_MS);
    }
    try {
      return { acquired: true, value: await start(locked) };
    } finally {
      await reserved`select pg_advisory_unlock(${key})`;
    }
  });
}

/** Refund cases of one debit that may still pay or have paid (not rejected, not superseded). */
export function liveRefundsOfDebit(db: Executor, paymentId: string, bankTxnRef: string) {
  return db
    .select({ id: refunds.id, amount: refunds.amount, status: refunds.status })
    .from(refunds)
    .where(and(eq(refunds.paymentId, paymentId), eq(refunds.bankTxnRef, bankTxnRef), sql`${refunds.status} not in ('rejected', 'alreadyRefunded')`));
}
