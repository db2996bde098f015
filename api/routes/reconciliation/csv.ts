import type { UploadLine } from '../../../db/queries/reconciliation.js';

/**
 * Bank statements and agency records as CSV (RFC 4180: comma separated, optional double quotes,
 * "" inside quotes), with a header naming the columns in any order: payment_id, bank_txn_ref,
 * amount (whole VND), status (success | failed), and optionally fee_type_code.
 * A small parser behind this one function; `csv-parse` can replace it without touching callers.
 */
export function parseReconciliationCsv(text: string): { lines: UploadLine[]; errors: { path: string; message: string }[] } {
  const rows = splitRows(text.replace(/^\uFEFF/, ''));
  const header = (rows.shift() ?? []).map((h) => h.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  const errors: { path: string; message: string }[] = [];
  for (const required of ['payment_id', 'bank_txn_ref', 'amount', 'status']) {
    if (col(required) < 0) errors.push({ path: 'header', message: `missing column ${required}` });
  }
  if (errors.length > 0) return { lines: [], errors };
  const lines: UploadLine[] = [];
  rows.forEach((cells, i) => {
    if (cells.length === 1 && cells[0]!.trim() === '') return;
    const at = (name: string) => (col(name) >= 0 ? (cells[col(name)] ?? '').trim() : '');
    const line = i + 2;
    const amount = at('amount');
    const status = at('status').toLowerCase();
    if (!at('payment_id') || !at('bank_txn_ref')) errors.push({ path: `line ${line}`, message: 'payment_id and bank_txn_ref are required' });
    else if (!/^\d{1,15}$/.test(amount) || Number(amount) <= 0) errors.push({ path: `line ${line}`, message: `amount must be a positive whole number of VND, got '${amount}'` });
    else if (status !== 'success' && status !== 'failed') errors.push({ path: `line ${line}`, message: `status must be success or failed, got '${status}'` });
    else lines.push({ paymentId: at('payment_id'), bankTxnRef: at('bank_txn_ref'), amount: Number(amount), status, ...(at('fee_type_code') ? { feeTypeCode: at('fee_type_code') } : {}) });
  });
  return { lines, errors };
}

function splitRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); rows.push(row); row = []; cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) { row.push(cell); rows.push(row); }
  return rows;
}

/** A CSV field, quoted when it needs to be. */
export const csvField = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};
