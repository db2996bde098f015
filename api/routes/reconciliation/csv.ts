import { pipeline, Readable } from 'node:stream';
import { CsvError, parse, type Info } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import { stringify as stringifyStream } from 'csv-stringify';
import type { UploadLine } from '../../../db/queries/reconciliation.js';
import { problem, type Problem } from '../../errors.js';

type LineError = NonNullable<Problem['errors']>[number];

/** Bounded work per upload (configuration: UPLOAD_MAX_BYTES, UPLOAD_MAX_ROWS, UPLOAD_MAX_FIELD_LENGTH). */
export interface CsvLimits {
  maxBytes: number;
  maxRows: number;
  maxFieldLength: number;
}

/** Parsing stops at this many invalid lines: enough to correct a file, no more work on a wrong one. */
export const MAX_LINE_ERRORS = 100;

/** A parsed CSV upload: its lines and, for each, the line of the file it came from. */
export class CsvUpload {
  constructor(
    readonly lines: UploadLine[],
    readonly lineNumbers: number[],
  ) {}
}

/** The body's chunks, refused with 413 past `maxBytes`; the request stream itself stays open, so the refusal can be answered. */
async function* capped(body: Readable, maxBytes: number): AsyncGenerator<Buffer | string> {
  let bytes = 0;
  for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer | string>) {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (bytes > maxBytes) throw problem('payload-too-large', `The upload is larger than ${maxBytes} bytes`);
    yield chunk;
  }
}

/**
 * Bank statements and agency records as CSV (RFC 4180: comma separated, optional double quotes,
 * "" inside quotes, CRLF or LF, an optional BOM), with a header naming the columns in any order:
 * payment_id, bank_txn_ref, amount (whole VND), status (success | failed), and optionally
 * fee_type_code. Parsed incrementally by `csv-parse`'s stream API as the body arrives (never one
 * synchronous parse of the whole body), within `limits`; each line is then validated here, errors
 * naming the line. More bytes or lines than allowed: 413, at once.
 */
export async function parseReconciliationCsv(
  input: Readable | string,
  limits: CsvLimits,
): Promise<{ lines: UploadLine[]; lineNumbers: number[]; errors: LineError[] }> {
  const body = typeof input === 'string' ? Readable.from([input]) : input;
  const records = pipeline(
    Readable.from(capped(body, limits.maxBytes)),
    // A record longer than any valid line (an unclosed quote swallowing the file) stops with an error naming its line.
    parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true, max_record_size: 8 * limits.maxFieldLength }),
    () => {}, // errors surface through the iteration below
  ) as AsyncIterable<{ record: string[]; info: Info }>;
  let header: string[] | undefined;
  const col = (name: string) => header?.indexOf(name) ?? -1;
  const lines: UploadLine[] = [];
  const lineNumbers: number[] = [];
  const errors: LineError[] = [];
  let rows = 0;
  try {
    for await (const { record: cells, info } of records) {
      if (!header) {
        header = cells.map((h) => h.trim().toLowerCase());
        for (const required of ['payment_id', 'bank_txn_ref', 'amount', 'status']) {
          if (col(required) < 0) errors.push({ path: 'header', message: `missing column ${required}` });
        }
        if (errors.length > 0) break;
        continue;
      }
      if (cells.every((c) => c.trim() === '')) continue;
      if (++rows > limits.maxRows) throw problem('payload-too-large', `The upload has more than ${limits.maxRows} lines`);
      const error = lineError(cells, col, limits.maxFieldLength);
      if (error) {
        errors.push({ path: `line ${info.lines}`, message: error });
        if (errors.length >= MAX_LINE_ERRORS) break;
        continue;
      }
      const at = (name: string) => (col(name) >= 0 ? (cells[col(name)] ?? '').trim() : '');
      const feeTypeCode = at('fee_type_code');
      lines.push({ paymentId: at('payment_id'), bankTxnRef: at('bank_txn_ref'), amount: Number(at('amount')), status: at('status').toLowerCase() as UploadLine['status'], ...(feeTypeCode ? { feeTypeCode } : {}) });
      lineNumbers.push(info.lines);
    }
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    errors.push({ path: `line ${err.lines}`, message: err.message });
  }
  return errors.length > 0 ? { lines: [], lineNumbers: [], errors } : { lines, lineNumbers, errors };
}

function lineError(cells: string[], col: (name: string) => number, maxFieldLength: number): string | undefined {
  const at = (name: string) => (col(name) >= 0 ? (cells[col(name)] ?? '').trim() : '');
  const amount = at('amount');
  const status = at('status').toLowerCase();
  if (cells.some((c) => c.length > maxFieldLength)) return `a field is longer than ${maxFieldLength} characters`;
  if (!at('payment_id') || !at('bank_txn_ref')) return 'payment_id and bank_txn_ref are required';
  if (!/^\d{1,15}$/.test(amount) || Number(amount) <= 0) return `amount must be a positive whole number of VND, got '${amount}'`;
  if (status !== 'success' && status !== 'failed') return `status must be success or failed, got '${status}'`;
  return undefined;
}

/**
 * The reconciliation routes' `text/csv` body parser: a Content-Length over the limit is refused
 * before a byte is read; the body is then parsed as it streams in. Invalid lines: 400 naming them.
 */
export async function readCsvUpload(body: Readable, contentLength: string | undefined, limits: CsvLimits): Promise<CsvUpload> {
  if (Number(contentLength) > limits.maxBytes) throw problem('payload-too-large', `The upload is larger than ${limits.maxBytes} bytes`);
  const parsed = await parseReconciliationCsv(body, limits);
  if (parsed.errors.length > 0) {
    const count = parsed.errors.length >= MAX_LINE_ERRORS ? `${MAX_LINE_ERRORS} or more` : String(parsed.errors.length);
    throw problem('validation', `The CSV has ${count} invalid line(s)`, parsed.errors);
  }
  return new CsvUpload(parsed.lines, parsed.lineNumbers);
}

/**
 * A report as CSV (header, CRLF, quoted where needed) by `csv-stringify`. A text cell a spreadsheet
 * would run as a formula (starting with = + - @, a tab or CR) gets an apostrophe in front
 * (OWASP "CSV injection"); numbers keep their sign.
 */
export function reportCsv<Row extends object>(rows: readonly Row[], columns: readonly (keyof Row & string)[]): string {
  return stringify(rows as Row[], { header: true, columns: [...columns], record_delimiter: 'windows', escape_formulas: true, quoted_match: /[\r\n]/ });
}

/**
 * The same CSV as `reportCsv`, written as the rows arrive (batches from a database cursor): a
 * download of any size holds one batch in memory and starts answering at once (issue 14.4).
 */
export function reportCsvStream<Row extends object>(batches: AsyncIterable<readonly Row[]>, columns: readonly (keyof Row & string)[]): Readable {
  async function* rows() {
    for await (const batch of batches) yield* batch;
  }
  return pipeline(
    Readable.from(rows()),
    stringifyStream({ header: true, columns: [...columns], record_delimiter: 'windows', escape_formulas: true, quoted_match: /[\r\n]/ }),
    () => {}, // a failure mid-stream ends the response; the error is in the log
  );
}
