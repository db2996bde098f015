import { describe, expect, it } from 'vitest';
import { csvField, parseReconciliationCsv } from '../../api/routes/reconciliation/csv.js';

describe('bank statement CSV (Art 34.4, as banks send it)', () => {
  it('reads a header in any order, quoted fields, CRLF and a BOM, and keeps amounts as whole VND', () => {
    const text = '\uFEFFstatus,amount,bank_txn_ref,payment_id,fee_type_code\r\nsuccess,150000,FT1,"payment-BTP-1",LEPHI\r\nFAILED,"2000","FT ""2""","p,2",\r\n';
    expect(parseReconciliationCsv(text)).toEqual({
      lines: [
        { paymentId: 'payment-BTP-1', bankTxnRef: 'FT1', amount: 150_000, status: 'success', feeTypeCode: 'LEPHI' },
        { paymentId: 'p,2', bankTxnRef: 'FT "2"', amount: 2000, status: 'failed' },
      ],
      errors: [],
    });
  });

  it('rejects fractional or negative amounts, unknown statuses and a missing column, naming the line', () => {
    const bad = parseReconciliationCsv('payment_id,bank_txn_ref,amount,status\nA,T1,12.5,success\nB,T2,-3,success\nC,T3,100,pending\n');
    expect(bad.lines).toEqual([]);
    expect(bad.errors.map((e) => e.path)).toEqual(['line 2', 'line 3', 'line 4']);
    expect(parseReconciliationCsv('payment_id,amount,status\n').errors).toEqual([{ path: 'header', message: 'missing column bank_txn_ref' }]);
  });

  it('quotes a report field only when it must', () => {
    expect([csvField('a'), csvField('a,b'), csvField('say "x"'), csvField(null), csvField(12)]).toEqual(['a', '"a,b"', '"say ""x"""', '', '12']);
  });
});

describe('bank statement CSV: malformed input', () => {
  it('reports an unclosed quote as an error naming the line instead of failing the upload', () => {
    const parsed = parseReconciliationCsv('payment_id,bank_txn_ref,amount,status\nA,T1,100,success\n"B,T2,100,success\n');
    expect(parsed.lines).toEqual([]);
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0]?.path).toMatch(/^line \d+$/);
  });
});
