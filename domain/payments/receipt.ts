import { createHash, X509Certificate } from 'node:crypto';
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';

/**
 * The bank's receipt (chứng từ nộp ngân sách nhà nước có chữ ký số, Art 31.2c–d): an XML document
 * signed with an enveloped XML-DSig signature over the whole document, verified against the
 * certificate the bank registered with VPCP. Only what the signature covers is read.
 *
 *   <PaymentReceipt xmlns="urn:dvcqg:payment-receipt:1">
 *     <ReceiptNo/> <PaymentId/> <Bank/> <BankTxnRef/> <Amount/> <DebitedAt/> <IssuedAt/>
 *     <ds:Signature>…</ds:Signature>
 *   </PaymentReceipt>
 */
export const RECEIPT_NAMESPACE = 'urn:dvcqg:payment-receipt:1';
const DSIG_NAMESPACE = 'http://www.w3.org/2000/09/xmldsig#';
/** Project rule: SHA-1 signatures are refused (RSA or ECDSA with SHA-256 or stronger). */
export const RECEIPT_SIGNATURE_ALGORITHMS = [
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
] as const;
/** Project rule: the receipt document (base64 of the XML) is at most this long. */
export const MAX_RECEIPT_DOCUMENT_LENGTH = 200_000;

/** The facts the bank signed, and how the signature was checked. */
export interface VerifiedReceipt {
  receiptNo: string;
  paymentId: string;
  bank: string;
  bankTxnRef: string;
  /** Whole VND. */
  amount: number;
  /** When the payer was debited (the bank's signed statement, Art 33.4a). */
  debitedAt: string;
  issuedAt: string;
  /** Subject of the bank's registered certificate. */
  signer: string;
  signatureAlgorithm: string;
  signatureValue: string;
  /** SHA-256 fingerprint of the certificate (as `X509Certificate.fingerprint256`). */
  certFingerprint: string;
  /** SHA-256 (hex) of the receipt document's bytes as received. */
  documentSha256: string;
  verifiedAt: string;
}

/** A receipt that cannot be verified; `reason` says why (shown to the bank). */
export class ReceiptRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ReceiptRejected';
  }
}

const reject = (reason: string): never => {
  throw new ReceiptRejected(reason);
};

/** The registered certificate: parsed, with its fingerprint; an unreadable PEM is refused. */
export function readCertificate(pem: string): { certificate: X509Certificate; fingerprint: string; subject: string; validTo: string } {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    return reject('the certificate is not a readable X.509 certificate (PEM)');
  }
  return { certificate, fingerprint: certificate.fingerprint256, subject: certificate.subject.replace(/\n/g, ', '), validTo: new Date(certificate.validTo).toISOString() };
}

/** Strict base64: a document that does not round-trip is refused rather than decoded as far as it goes. */
function decodeBase64(document: string): Buffer {
  const bytes = Buffer.from(document, 'base64');
  if (bytes.length === 0 || bytes.toString('base64').replace(/=+$/, '') !== document.replace(/\s/g, '').replace(/=+$/, '')) {
    reject('document must be the base64 of the signed receipt XML');
  }
  return bytes;
}

function parseXml(xml: string, what: string): Document {
  const errors: string[] = [];
  let doc: Document | undefined;
  try {
    // Strict: whatever the parser reports (even as a warning, e.g. an unclosed element) refuses the receipt.
    doc = new DOMParser({ onError: (_level, message) => { errors.push(message); } }).parseFromString(xml, 'text/xml');
  } catch {
    // A fatal error throws a ParseError.
  }
  if (errors.length > 0 || !doc?.documentElement) return reject(`${what} is not well-formed XML`);
  // No DTDs: entity expansion has no place in a receipt.
  if (doc.doctype) reject(`${what} must not contain a DOCTYPE`);
  return doc;
}

function field(root: Element, name: string): string {
  const found = Array.from(root.childNodes).filter((n): n is Element => n.nodeType === n.ELEMENT_NODE && (n as Element).namespaceURI === RECEIPT_NAMESPACE && (n as Element).localName === name);
  if (found.length !== 1) reject(`the signed receipt must have exactly one ${name}`);
  const value = (found[0]!.textContent ?? '').trim();
  if (!value) reject(`the signed receipt's ${name} is empty`);
  return value;
}

const instant = (value: string, name: string) => {
  // An instant with its offset (ISO 8601): a local time without a zone is ambiguous.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(Date.parse(value))) {
    reject(`the signed receipt's ${name} must be an ISO 8601 instant with its offset`);
  }
  return new Date(value).toISOString();
};

/**
 * Verifies a bank receipt (base64 of the XML) against the bank's registered certificate at `now`,
 * and returns the signed facts. Refused (ReceiptRejected) when the certificate is not valid now,
 * the XML is malformed, there is not exactly one signature, the signature does not verify with
 * that certificate, it does not cover the whole receipt, or a signed field is missing or malformed.
 */
export function verifyReceipt(document: string, certificatePem: string, now: Date): VerifiedReceipt {
  const { certificate, fingerprint, subject } = readCertificate(certificatePem);
  if (Date.parse(certificate.validFrom) > now.getTime() || Date.parse(certificate.validTo) < now.getTime()) {
    reject(`the bank's registered certificate is not valid now (valid ${new Date(certificate.validFrom).toISOString()} to ${new Date(certificate.validTo).toISOString()})`);
  }
  const bytes = decodeBase64(document);
  const xml = bytes.toString('utf8');
  const doc = parseXml(xml, 'the receipt');
  const root = doc.documentElement!;
  if (root.namespaceURI !== RECEIPT_NAMESPACE || root.localName !== 'PaymentReceipt') reject(`the receipt's root must be PaymentReceipt in ${RECEIPT_NAMESPACE}`);
  const signatures = Array.from(doc.getElementsByTagNameNS(DSIG_NAMESPACE, 'Signature'));
  if (signatures.length !== 1) reject(`the receipt must carry exactly one XML-DSig signature (found ${signatures.length})`);
  if (signatures[0]!.parentNode !== root) reject('the signature must be enveloped in PaymentReceipt');

  // The key is the registered certificate's, never one the document brings along (KeyInfo).
  const sig = new SignedXml({ publicCert: certificate.toString(), getCertFromKeyInfo: () => null });
  let signed: string[] = [];
  try {
    // Loaded as text: xml-crypto parses it with its own DOM implementation.
    sig.loadSignature(signatures[0]!.toString());
    if (!(RECEIPT_SIGNATURE_ALGORITHMS as readonly string[]).includes(sig.signatureAlgorithm ?? '')) {
      reject(`signature algorithm ${sig.signatureAlgorithm ?? '?'} is not accepted (${RECEIPT_SIGNATURE_ALGORITHMS.join(', ')})`);
    }
    if (!sig.checkSignature(xml)) reject("the signature does not verify with the bank's registered certificate");
    signed = sig.getSignedReferences();
  } catch (err) {
    if (err instanceof ReceiptRejected) throw err;
    // The library's own message quotes the whole signature value: the reason stays short.
    reject("the signature does not verify with the bank's registered certificate");
  }
  // Only the signed content is read, and it must be the whole receipt.
  if (signed.length !== 1) reject('the signature must cover the whole receipt with one reference');
  const signedRoot = parseXml(signed[0]!, 'the signed content').documentElement!;
  if (signedRoot.namespaceURI !== RECEIPT_NAMESPACE || signedRoot.localName !== 'PaymentReceipt') reject('the signature must cover the whole receipt (PaymentReceipt)');

  const amountText = field(signedRoot, 'Amount');
  if (!/^[1-9]\d{0,15}$/.test(amountText) || !Number.isSafeInteger(Number(amountText))) reject('the signed Amount must be whole VND');
  return {
    receiptNo: field(signedRoot, 'ReceiptNo'),
    paymentId: field(signedRoot, 'PaymentId'),
    bank: field(signedRoot, 'Bank'),
    bankTxnRef: field(signedRoot, 'BankTxnRef'),
    amount: Number(amountText),
    debitedAt: instant(field(signedRoot, 'DebitedAt'), 'DebitedAt'),
    issuedAt: instant(field(signedRoot, 'IssuedAt'), 'IssuedAt'),
    signer: subject,
    signatureAlgorithm: sig.signatureAlgorithm!,
    signatureValue: (signatures[0]!.getElementsByTagNameNS(DSIG_NAMESPACE, 'SignatureValue')[0]?.textContent ?? '').replace(/\s/g, ''),
    certFingerprint: fingerprint,
    documentSha256: createHash('sha256').update(bytes).digest('hex'),
    verifiedAt: now.toISOString(),
  };
}
