import { describe, expect, it } from 'vitest';
import { parseReconciliationCsv as parseCsv, reportCsv } from '../../api/routes/reconciliation/csv.js';

const limits = { maxBytes: 1024 * 1024, maxRows: 1000, maxFieldLength: 200 };
const parseReconciliationCsv = (text: string) => parseCsv(text, limits);

describe('bank statement CSV (Art 34.4, as banks send it)', () => {
  it('reads a header in any order, quoted fields, CRLF and a BOM, and keeps amounts as whole VND', async () => {
    const text = '\uFEFFstatus,amount,bank_txn_ref,payment_id,fee_type_code\r\nsuccess,150000,FT1,"payment-BTP-1",LEPHI\r\nFAILED,"2000","FT ""2""","p,2",\r\n';
    expect(await parseReconciliationCsv(text)).toEqual({
      lines: [
        { paymentId: 'payment-BTP-1', bankTxnRef: 'FT1', amount: 150_000, status: 'success', feeTypeCode: 'LEPHI' },
        { paymentId: 'p,2', bankTxnRef: 'FT "2"', amount: 2000, status: 'failed' },
      ],
      lineNumbers: [2, 3],
      errors: [],
    });
  });

  it('rejects fractional or negative amounts, unknown statuses and a missing column, naming the line', async () => {
    const bad = await parseReconciliationCsv('payment_id,bank_txn_ref,amount,status\nA,T1,12.5,success\nB,T2,-3,success\nC,T3,100,pending\n');
    expect(bad.lines).toEqual([]);
    expect(bad.errors.map((e) => e.path)).toEqual(['line 2', 'line 3', 'line 4']);
    expect((await parseReconciliationCsv('payment_id,amount,status\n')).errors).toEqual([{ path: 'header', message: 'missing column bank_txn_ref' }]);
  });

  it('quotes a report field only when it must', () => {
    const rows = [{ a: 'a', b: 'a,b', c: 'say "x"', d: null, e: 12 }];
    expect(reportCsv(rows, ['a', 'b', 'c', 'd', 'e'])).toBe('a,b,c,d,e\r\na,"a,b","say ""x""",,12\r\n');
  });
});

describe('bank statement CSV: malformed input', () => {
  it('reports an unclosed quote as an error naming the line instead of failing the upload', async () => {
    const parsed = await parseReconciliationCsv('payment_id,bank_txn_ref,amount,status\nA,T1,100,success\n"B,T2,100,success\n');
    expect(parsed.lines).toEqual([]);
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0]?.path).toMatch(/^line \d+$/);
  });

  it('refuses a field longer than the limit, naming its line', async () => {
    const long = await parseReconciliationCsv(`payment_id,bank_txn_ref,amount,status\nA,${'x'.repeat(201)},100,success\n`);
    expect(long.errors).toEqual([{ path: 'line 2', message: 'a field is longer than 200 characters' }]);
  });

  it('refuses more lines than the limit with 413, without reading on', async () => {
    const text = `payment_id,bank_txn_ref,amount,status\n${'A,T,100,success\n'.repeat(1001)}`;
    await expect(parseReconciliationCsv(text)).rejects.toMatchObject({ status: 413 });
  });
});
