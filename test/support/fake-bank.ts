import { execFileSync } from 'node:child_process';
import { SignedXml } from 'xml-crypto';
import { RECEIPT_NAMESPACE } from '../../domain/payments/receipt.js';

/** What a bank states in its receipt (Art 31.2c). */
export interface ReceiptFacts {
  receiptNo: string;
  paymentId: string;
  bank: string;
  bankTxnRef: string;
  amount: number;
  debitedAt: string;
  issuedAt?: string;
}

/** A bank's signing side, faked for tests: a fresh RSA key and self-signed certificate. */
export interface FakeBankSigner {
  /** The certificate VPCP registers for the bank (PEM). */
  certificatePem: string;
  /** The receipt XML, signed (enveloped XML-DSig, RSA-SHA256), as base64 — the callback's `document`. */
  signReceipt(facts: ReceiptFacts): string;
  /** The unsigned XML of a receipt (for tampering tests). */
  receiptXml(facts: ReceiptFacts): string;
  /** Signs any XML the way the bank does (base64). */
  sign(xml: string): string;
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A fresh RSA-2048 key and self-signed certificate, made with the openssl CLI (as
 * scripts/temporal-certs.sh does): Node's crypto makes keys but not certificates.
 */
export function createFakeBankSigner(bank: string, validDays = 3650): FakeBankSigner {
  const pem = execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', '-', '-out', '-', '-days', String(validDays), '-subj', `/C=VN/O=${bank}/CN=${bank} receipts`,
  ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const privateKey = pem.match(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/)![0];
  const certificatePem = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/)![0];

  const receiptXml = (f: ReceiptFacts) =>
    `<PaymentReceipt xmlns="${RECEIPT_NAMESPACE}"><ReceiptNo>${escape(f.receiptNo)}</ReceiptNo><PaymentId>${escape(f.paymentId)}</PaymentId>` +
    `<Bank>${escape(f.bank)}</Bank><BankTxnRef>${escape(f.bankTxnRef)}</BankTxnRef><Amount>${f.amount}</Amount>` +
    `<DebitedAt>${f.debitedAt}</DebitedAt><IssuedAt>${f.issuedAt ?? new Date().toISOString()}</IssuedAt></PaymentReceipt>`;
  const sign = (xml: string) => {
    const sig = new SignedXml({
      privateKey, canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#', signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    });
    sig.addReference({
      xpath: '/*', isEmptyUri: true, digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
      transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    });
    sig.computeSignature(xml);
    return Buffer.from(sig.getSignedXml(), 'utf8').toString('base64');
  };
  return { certificatePem, receiptXml, sign, signReceipt: (f) => sign(receiptXml(f)) };
}
