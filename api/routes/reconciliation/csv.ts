import { CsvError, parse } from 'csv-parse/sync';
import type { UploadLine } from '../../../db/queries/reconciliation.js';

/**
 * Bank statements and agency records as CSV (RFC 4180: comma separated, optional double quotes,
 * "" inside quotes, CRLF or LF, an optional BOM), with a header naming the columns in any order:
 * payment_id, bank_txn_ref, amount (whole VND), status (success | failed), and optionally
 * fee_type_code. Parsed by `csv-parse` (DEVELOPERS.md: a well-kept library over a hand-written
 * parser); each line is then validated here, errors naming the line.
 */
export function parseReconciliationCsv(text: string): { lines: UploadLine[]; errors: { path: string; message: string }[] } {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, info: true }) as unknown as typeof records;
  } catch (err) {
    if (err instanceof CsvError) return { lines: [], errors: [{ path: `line ${err.lines}`, message: err.message }] };
    throw err;
  }
  const header = (records.shift()?.record ?? []).map((h) => h.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  const errors: { path: string; message: string }[] = [];
  for (const required of ['payment_id', 'bank_txn_ref', 'amount', 'status']) {
    if (col(required) < 0) errors.push({ path: 'header', message: `missing column ${required}` });
  }
  if (errors.length > 0) return { lines: [], errors };
  const lines: UploadLine[] = [];
  for (const { record: cells, info } of records) {
    if (cells.every((c) => c.trim() === '')) continue;
    const at = (name: string) => (col(name) >= 0 ? (cells[col(name)] ?? '').trim() : '');
    const path = `line ${info.lines}`;
    const amount = at('amount');
    const status = at('status').toLowerCase();
    if (!at('payment_id') || !at('bank_txn_ref')) errors.push({ path, message: 'payment_id and bank_txn_ref are required' });
    else if (!/^\d{1,15}$/.test(amount) || Number(amount) <= 0) errors.push({ path, message: `amount must be a positive whole number of VND, got '${amount}'` });
    else if (status !== 'success' && status !== 'failed') errors.push({ path, message: `status must be success or failed, got '${status}'` });
    else lines.push({ paymentId: at('payment_id'), bankTxnRef: at('bank_txn_ref'), amount: Number(amount), status, ...(at('fee_type_code') ? { feeTypeCode: at('fee_type_code') } : {}) });
  }
  return { lines, errors };
}

/** A CSV field, quoted when it needs to be. */
export const csvField = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};
