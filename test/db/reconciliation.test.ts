import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { DatabaseHandle } from '../../db/client.js';
import { dayDetail, reconcileDay, reportDetail, reportSummary, type DetailRow, type ReportCursor } from '../../db/queries/reconciliation.js';
import { reconciliationResults, reconciliationSummaries } from '../../db/schema/index.js';
import { testDatabase, uniqueId } from '../support/env.js';

type Status = 'success' | 'failed';
interface Payment { id: string; bank: string; amount: number; status: 'settled' | 'failed'; ref: string | null; fee: string }
interface Line { source: 'bank' | 'agency'; bank: string; paymentId: string; ref: string; amount: number; status: Status; fee: string | null }

const AGENCY = 'BTC';
const DAY = '2034-06-17';

/**
 * The old semantics, one row per transaction, written out independently of the SQL: each side's
 * lines of a payment numbered (the Portal's reference first, then successful, then by reference),
 * the three sides met on (bank, payment, occurrence), each row classified by the rules of the README
 * ("Outcomes", "Owner rule", "Awaiting upload").
 */
function expectedRows(payments: Payment[], lines: Line[], uploads: { source: 'bank' | 'agency'; bank: string }[]) {
  const key = (bank: string, paymentId: string, seq: number) => `${bank}\u0000${paymentId}\u0000${seq}`;
  const rows = new Map<string, { bank: string; paymentId: string; seq: number; p?: { amount: number; status: Status; ref: string | null; fee: string | null }; b?: Line; a?: Line }>();
  const at = (bank: string, paymentId: string, seq: number) => {
    const k = key(bank, paymentId, seq);
    const row = rows.get(k) ?? { bank, paymentId, seq };
    rows.set(k, row);
    return row;
  };
  for (const p of payments) at(p.bank, p.id, 1).p = { amount: p.amount, status: p.status === 'settled' ? 'success' : 'failed', ref: p.ref, fee: p.fee };
  for (const source of ['bank', 'agency'] as const) {
    const groups = new Map<string, Line[]>();
    for (const l of lines.filter((x) => x.source === source)) groups.set(`${l.bank}\u0000${l.paymentId}`, [...(groups.get(`${l.bank}\u0000${l.paymentId}`) ?? []), l]);
    for (const group of groups.values()) {
      const portalRef = payments.find((p) => p.id === group[0]!.paymentId)?.ref;
      const rank = (l: Line) => [l.ref === portalRef ? 0 : 1, l.status === 'success' ? 0 : 1];
      group.sort((x, y) => rank(x)[0]! - rank(y)[0]! || rank(x)[1]! - rank(y)[1]! || (x.ref < y.ref ? -1 : 1));
      group.forEach((l, i) => {
        at(l.bank, l.paymentId, i + 1)[source === 'bank' ? 'b' : 'a'] = l;
      });
    }
  }
  const isIn = (source: string, bank: string) => uploads.some((u) => u.source === source && u.bank === bank);
  return [...rows.values()].map((r) => {
    const [pa, ps, ba, bs, aa, as] = [r.p?.amount, r.p?.status, r.b?.amount, r.b?.status, r.a?.amount, r.a?.status];
    const bIn = isIn('bank', r.bank);
    const aIn = isIn('agency', r.bank);
    let outcome: string;
    if (r.seq > 1) outcome = bs === 'success' || as === 'success' ? 'duplicate' : 'matched';
    else if (!ps && bs === 'success') outcome = 'missingAtPortal';
    else if (!bIn && (ps === 'success' || (as === 'success' && !ps))) outcome = 'awaitingUpload';
    else if (ps === 'success' && !bs) outcome = 'missingAtBank';
    else if (aIn && (ps === 'success' || bs === 'success') && !as) outcome = 'missingAtAgency';
    else if (as === 'success' && !ps && !bs) outcome = 'missingAtBank';
    else if ((ps && bs && ps !== bs) || (as && ((ps && as !== ps) || (bs && as !== bs)))) outcome = 'statusMismatch';
    else if ((ps === 'success' && bs === 'success' && pa !== ba) || (as === 'success' && ((ps === 'success' && aa !== pa) || (bs === 'success' && aa !== ba)))) outcome = 'amountMismatch';
    else if (!(bIn && aIn)) outcome = 'awaitingUpload';
    else outcome = 'matched';
    const ownerKind =
      outcome === 'matched' || outcome === 'awaitingUpload' ? null
      : outcome === 'duplicate' ? (bs === 'success' ? 'bank' : 'agency')
      : outcome === 'missingAtAgency' || (outcome === 'missingAtBank' && !ps && !bs) ? 'agency'
      : outcome === 'statusMismatch' && ps === bs ? 'agency'
      : outcome === 'amountMismatch' && pa === ba ? 'agency'
      : 'bank';
    const detail: DetailRow = {
      paymentId: r.paymentId, seq: r.seq, outcome, ownerKind, feeTypeCode: r.p?.fee ?? r.b?.fee ?? r.a?.fee ?? null, bankTxnRef: r.b?.ref ?? r.p?.ref ?? r.a?.ref ?? null,
      portalAmount: pa ?? null, bankAmount: ba ?? null, agencyAmount: aa ?? null, portalStatus: ps ?? null, bankStatus: bs ?? null, agencyStatus: as ?? null,
    };
    return { bank: r.bank, ...detail };
  }).sort((x, y) => (x.bank < y.bank ? -1 : x.bank > y.bank ? 1 : x.paymentId < y.paymentId ? -1 : x.paymentId > y.paymentId ? 1 : x.seq - y.seq));
}

describe('reconciliation storage: differences as rows, matches as day sums (issue 18.2)', () => {
  let database: DatabaseHandle;
  beforeAll(() => {
    database = testDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  it('Art 34.3, 34.4: every kind of planted difference gives the same report (summary, detail with every matched transaction, filters, pages) as one stored row per transaction did, and a re-run replaces the day', async () => {
    const tag = uniqueId('').slice(1, 7).toUpperCase();
    // BOTH: both parties uploaded; NOBANK: the bank has not; NOAGENCY: the agency has not (Art 34.2).
    const [both, noBank, noAgency] = [`R${tag}1`, `R${tag}2`, `R${tag}3`];
    const payments: Payment[] = [];
    const lines: Line[] = [];
    const pay = (bank: string, id: string, amount: number, over: Partial<Payment> = {}) => payments.push({ id: `${bank}-${id}`, bank, amount, status: 'settled', ref: `T-${bank}-${id}`, fee: id.endsWith('0') ? 'PHI2' : 'LEPHI', ...over });
    const line = (source: Line['source'], bank: string, id: string, amount: number, over: Partial<Line> = {}) =>
      lines.push({ source, bank, paymentId: `${bank}-${id}`, ref: `T-${bank}-${id}`, amount, status: 'success', fee: id.endsWith('0') ? 'PHI2' : 'LEPHI', ...over });
    const matched = (bank: string, id: string, amount: number, sources: Line['source'][] = ['bank', 'agency']) => {
      pay(bank, id, amount);
      for (const s of sources) line(s, bank, id, amount);
    };
    for (let i = 10; i < 40; i++) matched(both, `M${i}`, 10_000 + i);
    pay(both, 'P01', 1001); line('agency', both, 'P01', 1001); // missing at the bank
    pay(both, 'P02', 1002); line('bank', both, 'P02', 1002); // missing at the agency
    matched(both, 'P03', 1003, ['agency']); line('bank', both, 'P03', 6003); // the bank over-paid
    matched(both, 'P04', 1004, ['bank']); line('agency', both, 'P04', 1005); // the agency's amount differs
    matched(both, 'P05', 1005, ['agency']); line('bank', both, 'P05', 1005, { status: 'failed' }); // the bank says failed
    matched(both, 'P06', 1006); line('bank', both, 'P06', 1006, { ref: 'T-second' }); // debited twice
    matched(both, 'P07', 1007); line('agency', both, 'P07', 1007, { ref: 'T-again' }); // the agency recorded it twice
    matched(both, 'P08', 1008); line('bank', both, 'P08', 1008, { ref: 'T-0-failed', status: 'failed' }); // a failed second attempt: no difference
    pay(both, 'P09', 1009, { status: 'failed' }); line('bank', both, 'P09', 1009, { status: 'failed' }); line('agency', both, 'P09', 1009, { status: 'failed' }); // failed everywhere
    // The Portal's reference comes first although another line sorts before it.
    pay(both, 'P11', 1011); line('bank', both, 'P11', 1011, { ref: 'A-other' }); line('bank', both, 'P11', 1011); line('agency', both, 'P11', 1011);
    line('bank', both, 'X01', 7001, { fee: 'PHI3' }); line('agency', both, 'X01', 7001); // unknown to the Portal: the bank's fee type
    line('agency', both, 'X02', 7002); // only the agency has it
    pay(both, 'P12', 1012); line('bank', both, 'P12', 1012, { fee: 'PHI3' }); line('agency', both, 'P12', 1012, { fee: null }); // the Portal's fee type counts
    line('bank', both, 'X03', 7003, { status: 'failed', fee: null }); line('agency', both, 'X03', 7003, { status: 'failed' }); // failed, unknown to the Portal: the agency's fee type
    matched(noBank, 'Q01', 2001, ['agency']);
    line('agency', noBank, 'Q02', 2002);
    pay(noBank, 'Q03', 2003);
    matched(noBank, 'Q04', 2004, []); line('agency', noBank, 'Q04', 2005);
    matched(noAgency, 'S01', 3001, ['bank']);
    matched(noAgency, 'S02', 3002, []); line('bank', noAgency, 'S02', 3010);
    line('bank', noAgency, 'S03', 3003);
    const uploads = [{ source: 'bank' as const, bank: both }, { source: 'agency' as const, bank: both }, { source: 'agency' as const, bank: noBank }, { source: 'bank' as const, bank: noAgency }];

    const { sql } = database;
    for (const p of payments) {
      await sql`
        insert into payments (id, agency, request_ref, dossier_code, fee_type_code, amount, beneficiary_kind, beneficiary_institution,
          beneficiary_account, beneficiary_name, payer_bank, bank_txn_ref, status, txn_date, revision, created_at)
        values (${p.id}, ${AGENCY}, ${p.id}, 'D', ${p.fee}, ${p.amount}, 'treasury', 'KBNN', '7111', 'KBNN', ${p.bank}, ${p.ref}, ${p.status}, ${DAY}, 1, now())`;
    }
    for (const l of lines) {
      await sql`
        insert into reconciliation_lines (source, agency, bank, txn_date, payment_id, bank_txn_ref, amount, status, fee_type_code)
        values (${l.source}, ${AGENCY}, ${l.bank}, ${DAY}, ${l.paymentId}, ${l.ref}, ${l.amount}, ${l.status}, ${l.fee})`;
    }
    for (const u of uploads) {
      await sql`insert into reconciliation_uploads (source, agency, bank, txn_date, line_count, format, uploaded_by) values (${u.source}, ${AGENCY}, ${u.bank}, ${DAY}, 0, 'json', 'test')`;
    }
    const expected = expectedRows(payments, lines, uploads);
    const kinds = new Set(expected.map((r) => r.outcome));
    expect([...kinds].sort()).toEqual(['amountMismatch', 'awaitingUpload', 'duplicate', 'matched', 'missingAtAgency', 'missingAtBank', 'missingAtPortal', 'statusMismatch']);
    const withoutBank = ({ bank: _bank, ...row }: (typeof expected)[number]) => row;
    const scope = { from: DAY, to: DAY, agency: AGENCY };

    for (const run of ['first run', 're-run']) {
      const counts = await reconcileDay(database.db, DAY);
      expect(counts, run).toEqual({
        transactions: expected.length,
        discrepancies: expected.filter((r) => r.outcome !== 'matched' && r.outcome !== 'awaitingUpload').length,
        awaitingUpload: expected.filter((r) => r.outcome === 'awaitingUpload').length,
      });
      // Stored: the differences (and rows awaiting an upload) only, never a match.
      const stored = await database.db.select().from(reconciliationResults).where(eq(reconciliationResults.txnDate, DAY));
      expect(stored.map((r) => `${r.bank}/${r.paymentId}#${r.seq}:${r.outcome}/${r.ownerKind}`).sort(), run).toEqual(
        expected.filter((r) => r.outcome !== 'matched').map((r) => `${r.bank}/${r.paymentId}#${r.seq}:${r.outcome}/${r.ownerKind}`).sort(),
      );
      // Detail per day × pair (Art 34.3d "chi tiết"), matched transactions included.
      for (const bank of [both, noBank, noAgency]) {
        expect(await dayDetail(database.db, { txnDate: DAY, agency: AGENCY, bank }), `${run} ${bank}`).toEqual(expected.filter((r) => r.bank === bank).map(withoutBank));
      }
      // Summary (Art 34.3d "tổng hợp"): counts per outcome and the successful sides' totals.
      const summary = await reportSummary(database.db, scope);
      expect(summary.map((s) => s.bank).sort()).toEqual([both, noBank, noAgency]);
      for (const pair of summary) {
        const rows = expected.filter((r) => r.bank === pair.bank);
        const total = (amount: 'portalAmount' | 'bankAmount' | 'agencyAmount', status: 'portalStatus' | 'bankStatus' | 'agencyStatus') =>
          rows.filter((r) => r[status] === 'success').reduce((s, r) => s + r[amount]!, 0);
        expect(pair.transactions).toBe(rows.length);
        expect(Object.entries(pair.outcomes).filter(([, n]) => n > 0)).toEqual(Object.entries(pair.outcomes).filter(([o]) => rows.some((r) => r.outcome === o)).map(([o]) => [o, rows.filter((r) => r.outcome === o).length]));
        expect([pair.portalTotal, pair.bankTotal, pair.agencyTotal]).toEqual([total('portalAmount', 'portalStatus'), total('bankAmount', 'bankStatus'), total('agencyAmount', 'agencyStatus')]);
      }
    }

    // A period's detail, a page of 7 at a time, in (day, agency, bank, payment, occurrence) order.
    const walk = async (filters: { outcome?: 'matched'; status?: Status; feeTypeCode?: string } = {}) => {
      const all: (DetailRow & { bank: string })[] = [];
      let after: ReportCursor | undefined;
      for (;;) {
        const page = await reportDetail(database.db, { ...scope, ...filters, after, limit: 7 });
        all.push(...page.map(({ txnDate: _d, agency: _a, ...r }) => r));
        if (page.length < 7) return all;
        const last = page.at(-1)!;
        after = { txnDate: last.txnDate, agency: last.agency, bank: last.bank, paymentId: last.paymentId, seq: last.seq };
      }
    };
    expect(await walk()).toEqual(expected);
    // Art 34.3c–d: filtered by outcome, by the transaction's status, by fee type.
    expect(await walk({ outcome: 'matched' })).toEqual(expected.filter((r) => r.outcome === 'matched'));
    expect(await walk({ status: 'failed' })).toEqual(expected.filter((r) => (r.portalStatus ?? r.bankStatus ?? r.agencyStatus) === 'failed'));
    expect(await walk({ feeTypeCode: 'PHI3' })).toEqual(expected.filter((r) => r.feeTypeCode === 'PHI3'));
    expect(await dayDetail(database.db, { txnDate: DAY, agency: AGENCY, bank: both, outcome: 'duplicate' })).toEqual(expected.filter((r) => r.bank === both && r.outcome === 'duplicate').map(withoutBank));

    // The day sums hold a row per day × pair × fee type × outcome × status, not per transaction.
    const sums = await database.db.select().from(reconciliationSummaries).where(eq(reconciliationSummaries.txnDate, DAY));
    expect(sums.reduce((s, r) => s + r.transactions, 0)).toBe(expected.length);
    expect(sums.length).toBeLessThan(expected.length / 2);
  });
});
