import { describe, expect, it } from 'vitest';
import { ReceiptRejected, verifyReceipt } from '../../../domain/payments/receipt.js';
import { createFakeBankSigner } from '../../support/fake-bank.js';

const facts = { receiptNo: 'CT-0001', paymentId: 'payment-BTP-r1', bank: 'VCB', bankTxnRef: 'FT001', amount: 150_000, debitedAt: '2026-11-30T03:00:00+07:00', issuedAt: '2026-11-30T03:00:05+07:00' };
const b64 = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');
const xmlOf = (document: string) => Buffer.from(document, 'base64').toString('utf8');

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ReceiptRejected);
    return (err as ReceiptRejected).reason;
  }
  throw new Error('the receipt was accepted');
}

describe('bank receipt verification (XML-DSig, xml-crypto)', () => {
  const bank = createFakeBankSigner('VCB');
  const other = createFakeBankSigner('TCB');
  const now = new Date();

  it('Art 31.2c: a receipt signed by the bank verifies against its registered certificate, and its signed facts are read', () => {
    const verified = verifyReceipt(bank.signReceipt(facts), bank.certificatePem, now);
    expect(verified).toMatchObject({
      receiptNo: 'CT-0001', paymentId: 'payment-BTP-r1', bank: 'VCB', bankTxnRef: 'FT001', amount: 150_000,
      debitedAt: '2026-11-29T20:00:00.000Z', issuedAt: '2026-11-29T20:00:05.000Z', signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    });
    expect(verified.signer).toContain('CN=VCB receipts');
    expect(verified.certFingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(verified.documentSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('Art 31.2c: a receipt signed by another key, tampered with, unsigned or not XML is refused with the reason', () => {
    const signed = bank.signReceipt(facts);
    expect(reason(() => verifyReceipt(other.signReceipt(facts), bank.certificatePem, now))).toContain("does not verify with the bank's registered certificate");
    expect(reason(() => verifyReceipt(signed, other.certificatePem, now))).toContain('does not verify');
    // The amount changed after signing.
    expect(reason(() => verifyReceipt(b64(xmlOf(signed).replace('<Amount>150000<', '<Amount>15000<')), bank.certificatePem, now))).toContain('does not verify');
    expect(reason(() => verifyReceipt(b64(bank.receiptXml(facts)), bank.certificatePem, now))).toContain('exactly one XML-DSig signature');
    expect(reason(() => verifyReceipt('%%%', bank.certificatePem, now))).toContain('base64');
    expect(reason(() => verifyReceipt(b64('<PaymentReceipt'), bank.certificatePem, now))).toContain('well-formed');
    expect(reason(() => verifyReceipt(signed, 'not a certificate', now))).toContain('X.509');
  });

  it('Art 31.2c: only the signed content counts — an unsigned field added beside the signed one, a DOCTYPE or a foreign root is refused', () => {
    // A second, unsigned Amount inserted after signing: the signature no longer covers the document.
    const wrapped = xmlOf(bank.signReceipt(facts)).replace('<Amount>', '<Amount>1</Amount><Amount>');
    expect(reason(() => verifyReceipt(b64(wrapped), bank.certificatePem, now))).toMatch(/does not verify|exactly one Amount/);
    const doctype = `<!DOCTYPE r [<!ENTITY x "y">]>${xmlOf(bank.signReceipt(facts))}`;
    expect(reason(() => verifyReceipt(b64(doctype), bank.certificatePem, now))).toContain('DOCTYPE');
    const foreign = bank.sign('<Receipt xmlns="urn:other"><Amount>1</Amount></Receipt>');
    expect(reason(() => verifyReceipt(foreign, bank.certificatePem, now))).toContain('PaymentReceipt');
    const badAmount = bank.signReceipt({ ...facts, amount: 1.5 });
    expect(reason(() => verifyReceipt(badAmount, bank.certificatePem, now))).toContain('whole VND');
  });

  it('Art 31.2c: a certificate outside its validity period verifies nothing', () => {
    const shortLived = createFakeBankSigner('VCB', 1);
    const later = new Date(Date.now() + 3 * 86_400_000);
    expect(reason(() => verifyReceipt(shortLived.signReceipt(facts), shortLived.certificatePem, later))).toContain('not valid now');
  });
});
