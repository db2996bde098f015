import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import type { DatabaseHandle } from '../../db/client.js';
import { isDataException } from '../../db/errors.js';
import { dayDetail, reconcileDay, replaceUpload, reportSummary } from '../../db/queries/reconciliation.js';
import { reconciliationSummaries } from '../../db/schema/index.js';
import { testDatabase, uniqueId } from '../support/env.js';

/**
 * Edges of the signed-number classification (each side's record as amount when successful,
 * -1 - amount when failed): every expected outcome below is read off the rules above `reconcileDay`
 * by hand, not computed, so a change of encoding that shifts one of them fails here.
 */
const AGENCY = 'BTC';

interface Pay { id: string; amount: number; status: 'settled' | 'failed' | 'debited' | 'expired'; fee?: string; ref?: string | null }
interface Line { source: 'bank' | 'agency'; id: string; amount: number; status: 'success' | 'failed'; ref?: string; fee?: string | null }

describe('reconciliation edges: signed records, failed sides, zero and large amounts (issue 18.2)', () => {
  let database: DatabaseHandle;
  beforeAll(() => {
    database = testDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  async function plant(day: string, bank: string, pays: Pay[], lines: Line[], uploads: ('bank' | 'agency')[]) {
    const { sql } = database;
    for (const p of pays) {
      await sql`
        insert into payments (id, agency, request_ref, dossier_code, fee_type_code, amount, beneficiary_kind, beneficiary_institution,
          beneficiary_account, beneficiary_name, payer_bank, bank_txn_ref, status, txn_date, revision, created_at)
        values (${`${bank}-${p.id}`}, ${AGENCY}, ${`${bank}-${p.id}`}, 'D', ${p.fee ?? 'LEPHI'}, ${p.amount}, 'treasury', 'KBNN', '7111', 'KBNN', ${bank},
          ${p.ref === undefined ? `T-${p.id}` : p.ref}, ${p.status}, ${day}, 1, now())`;
    }
    for (const l of lines) {
      await sql`
        insert into reconciliation_lines (source, agency, bank, txn_date, payment_id, bank_txn_ref, amount, status, fee_type_code)
        values (${l.source}, ${AGENCY}, ${bank}, ${day}, ${`${bank}-${l.id}`}, ${l.ref ?? `T-${l.id}`}, ${l.amount}, ${l.status}, ${l.fee === undefined ? 'LEPHI' : l.fee})`;
    }
    for (const source of uploads) {
      await sql`insert into reconciliation_uploads (source, agency, bank, txn_date, line_count, format, uploaded_by) values (${source}, ${AGENCY}, ${bank}, ${day}, 0, 'json', 'test')`;
    }
  }

  const outcomes = async (day: string, bank: string) =>
    Object.fromEntries((await dayDetail(database.db, { txnDate: day, agency: AGENCY, bank })).map((r) => [`${r.paymentId.slice(bank.length + 1)}#${r.seq}`, `${r.outcome}/${r.ownerKind ?? '-'}`]));

  it('Art 34.4: failed records, a zero amount and keys the Portal lacks classify by the documented rules', async () => {
    const day = '2035-03-04';
    const bank = `E${uniqueId('').slice(1, 7).toUpperCase()}`;
    await plant(day, bank, [
      { id: 'F1', amount: 500, status: 'failed' }, // failed on all three sides, amounts differ: no money moved
      { id: 'F2', amount: 600, status: 'settled' }, // failed at the bank only
      { id: 'F3', amount: 700, status: 'failed' }, // failed at the Portal, successful at both parties
      { id: 'Z1', amount: 0, status: 'settled' }, // zero, successful everywhere (the schema allows 0; the API refuses it)
      { id: 'Z2', amount: 0, status: 'settled' }, // zero at the Portal, a failed zero at the bank
      { id: 'D1', amount: 800, status: 'settled' }, // a failed second line at the agency only
      { id: 'D2', amount: 900, status: 'settled' }, // a successful second debit at the agency only
      { id: 'E1', amount: 1000, status: 'expired' }, // expired on the Portal, no party line
      { id: 'K1', amount: 1100, status: 'debited' }, // debited, not yet settled: successful
    ], [
      { source: 'bank', id: 'F1', amount: 501, status: 'failed' }, { source: 'agency', id: 'F1', amount: 502, status: 'failed' },
      { source: 'bank', id: 'F2', amount: 600, status: 'failed' }, { source: 'agency', id: 'F2', amount: 600, status: 'success' },
      { source: 'bank', id: 'F3', amount: 700, status: 'success' }, { source: 'agency', id: 'F3', amount: 700, status: 'success' },
      { source: 'bank', id: 'Z1', amount: 0, status: 'success' }, { source: 'agency', id: 'Z1', amount: 0, status: 'success' },
      { source: 'bank', id: 'Z2', amount: 0, status: 'failed' }, { source: 'agency', id: 'Z2', amount: 0, status: 'success' },
      { source: 'bank', id: 'D1', amount: 800, status: 'success' }, { source: 'agency', id: 'D1', amount: 800, status: 'success' },
      { source: 'agency', id: 'D1', amount: 800, status: 'failed', ref: 'T-D1-retry' },
      { source: 'bank', id: 'D2', amount: 900, status: 'success' }, { source: 'agency', id: 'D2', amount: 900, status: 'success' },
      { source: 'agency', id: 'D2', amount: 900, status: 'success', ref: 'T-D2-again' },
      { source: 'bank', id: 'K1', amount: 1100, status: 'success' }, { source: 'agency', id: 'K1', amount: 1100, status: 'success' },
      // Keys the Portal has no payment for (taken apart with the duplicates).
      { source: 'agency', id: 'A1', amount: 1200, status: 'success' }, // only the agency, successful
      { source: 'agency', id: 'A2', amount: 1300, status: 'failed' }, // only the agency, failed
      { source: 'bank', id: 'B1', amount: 1400, status: 'failed' }, // only the bank, failed
      { source: 'bank', id: 'B2', amount: 1500, status: 'failed' }, { source: 'agency', id: 'B2', amount: 1500, status: 'success' }, // failed at the bank, successful at the agency
      { source: 'bank', id: 'B3', amount: 0, status: 'success' }, // a zero the bank says it debited
    ], ['bank', 'agency']);
    await reconcileDay(database.db, day);
    expect(await outcomes(day, bank)).toEqual({
      'F1#1': 'matched/-',
      'F2#1': 'statusMismatch/bank', // P and A agree against B
      'F3#1': 'statusMismatch/bank', // B and A agree against P: the Portal's record is the bank's (Art 34.5)
      'Z1#1': 'matched/-',
      'Z2#1': 'statusMismatch/bank', // a failed zero is no successful zero
      'D1#1': 'matched/-', 'D1#2': 'matched/-', // a failed second attempt is no duplicate
      'D2#1': 'matched/-', 'D2#2': 'duplicate/agency',
      'E1#1': 'matched/-', // failed (expired) on the Portal alone: nothing moved
      'K1#1': 'matched/-',
      'A1#1': 'missingAtBank/agency', // only A successful
      'A2#1': 'matched/-',
      'B1#1': 'matched/-',
      'B2#1': 'statusMismatch/bank', // B failed, A successful, P absent: P and B do not "agree" (P has no record), so the bank's
      'B3#1': 'missingAtPortal/bank', // B successful (zero), P absent
    });
    // The day sums count a zero and a failed record on the right side of the status.
    const [pair] = await reportSummary(database.db, { from: day, to: day, agency: AGENCY, bank });
    expect(pair!.transactions).toBe(16);
    expect([pair!.portalTotal, pair!.bankTotal]).toEqual([600 + 0 + 0 + 800 + 900 + 1100, 700 + 0 + 800 + 900 + 1100 + 0]);
  });

  it('Art 34.2, 34.4: a pair neither party uploaded awaits both (Portal successful or failed), and a key only at the agency waits for the bank', async () => {
    const day = '2035-03-05';
    const bank = `N${uniqueId('').slice(1, 7).toUpperCase()}`;
    const other = `O${uniqueId('').slice(1, 7).toUpperCase()}`;
    await plant(day, bank, [{ id: 'P1', amount: 100, status: 'settled' }, { id: 'P2', amount: 200, status: 'failed' }], [], []);
    await plant(day, other, [{ id: 'P1', amount: 100, status: 'settled' }], [
      { source: 'agency', id: 'P1', amount: 100, status: 'success' },
      { source: 'agency', id: 'A1', amount: 300, status: 'success' }, // only at the agency, the bank not in
      { source: 'agency', id: 'A2', amount: 300, status: 'failed' },
    ], ['agency']);
    await reconcileDay(database.db, day);
    expect(await outcomes(day, bank)).toEqual({ 'P1#1': 'awaitingUpload/-', 'P2#1': 'awaitingUpload/-' });
    expect(await outcomes(day, other)).toEqual({ 'P1#1': 'awaitingUpload/-', 'A1#1': 'awaitingUpload/-', 'A2#1': 'awaitingUpload/-' });
  });

  it('Art 34.3d: the largest amount the API accepts (2^53 - 1 VND) matches and sums without loss on one transaction', async () => {
    const day = '2035-03-06';
    const bank = `L${uniqueId('').slice(1, 7).toUpperCase()}`;
    const max = Number.MAX_SAFE_INTEGER;
    await plant(day, bank, [{ id: 'M1', amount: max, status: 'settled' }, { id: 'M2', amount: max, status: 'settled' }, { id: 'M3', amount: max, status: 'failed' }], [
      { source: 'bank', id: 'M1', amount: max, status: 'success' }, { source: 'agency', id: 'M1', amount: max, status: 'success' },
      { source: 'bank', id: 'M2', amount: max - 1, status: 'success' }, { source: 'agency', id: 'M2', amount: max, status: 'success' },
      { source: 'bank', id: 'M3', amount: max, status: 'failed' }, { source: 'agency', id: 'M3', amount: max, status: 'success' },
    ], ['bank', 'agency']);
    await reconcileDay(database.db, day);
    expect(await outcomes(day, bank)).toEqual({ 'M1#1': 'matched/-', 'M2#1': 'amountMismatch/bank', 'M3#1': 'statusMismatch/agency' });
    const detail = await dayDetail(database.db, { txnDate: day, agency: AGENCY, bank, outcome: 'amountMismatch' });
    expect(detail.map((r) => [r.portalAmount, r.bankAmount, r.agencyAmount])).toEqual([[max, max - 1, max]]);
    const matched = await database.db.select().from(reconciliationSummaries)
      .where(and(eq(reconciliationSummaries.txnDate, day), eq(reconciliationSummaries.bank, bank), eq(reconciliationSummaries.outcome, 'matched')));
    expect(matched.map((s) => [s.transactions, s.portalTotal])).toEqual([[1, max]]);
  });

  it('Art 34.2, 34.4: an upload totalling more than the day sums can hold is refused whole (400 data exception), and the day still reconciles', async () => {
    const day = '2035-03-07';
    const bank = `V${uniqueId('').slice(1, 7).toUpperCase()}`;
    const max = Number.MAX_SAFE_INTEGER;
    await plant(day, bank, [{ id: 'X', amount: max, status: 'settled' }], [], []);
    const key = { source: 'bank' as const, agency: AGENCY, bank, txnDate: day };
    const meta = { format: 'json', uploadedBy: 'test' };
    const line = (ref: string) => ({ paymentId: `${bank}-X`, bankTxnRef: ref, amount: max, status: 'success' as const });
    await replaceUpload(database.db, key, [line('T-X')], meta);
    // 1,025 debits of the API's largest amount pass 2^63 - 1 VND: before, the day's run failed for every pair ("bigint out of range").
    const refused = await replaceUpload(database.db, key, Array.from({ length: 1_100 }, (_, i) => line(i === 0 ? 'T-X' : `T-X-${i}`)), meta).then(() => undefined, (err: unknown) => err);
    expect(isDataException(refused)).toBe(true);
    // Nothing of the refused upload is kept: the earlier statement stands, and the day reconciles.
    await expect(reconcileDay(database.db, day)).resolves.toMatchObject({ discrepancies: 0 });
    expect(await outcomes(day, bank)).toEqual({ 'X#1': 'awaitingUpload/-' });
  });
});
