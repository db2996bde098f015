import { sql } from 'drizzle-orm';
import { bigint, boolean, date, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/** Amounts are whole VND: bigint columns, read as JS numbers (the API caps them at 2^53 - 1). */
const vnd = () => bigint({ mode: 'number' });

export const bankKind = pgEnum('bank_kind', ['bank', 'intermediary', 'treasury']);
export const bankStatus = pgEnum('bank_status', ['active', 'suspended', 'stopped']);

/**
 * Register of the banks and payment intermediaries connected to the Portal's payment system
 * (Art 33.2), and the State Treasury (KBNN) as a beneficiary institution. VPCP may suspend or stop
 * one (Art 33.7): new payments through it are refused, payments already in flight complete.
 */
export const banks = pgTable('banks', {
  code: text().primaryKey(),
  name: text().notNull(),
  nameVi: text().notNull(),
  kind: bankKind().notNull(),
  status: bankStatus().notNull().default('active'),
  statusReason: text(),
  statusChangedBy: text(),
  statusChangedAt: timestamp({ withTimezone: true }),
  /** The certificate (PEM) the bank's signed receipts are verified against (Art 31.2c), and its SHA-256 fingerprint. */
  receiptCertificate: text(),
  receiptCertFingerprint: text(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/** Every change of the register (registration, suspension, resumption): who, when, why. */
export const bankStatusChanges = pgTable(
  'bank_status_changes',
  {
    id: bigint({ mode: 'number' }).generatedAlwaysAsIdentity().primaryKey(),
    bank: text().notNull().references(() => banks.code),
    status: bankStatus().notNull(),
    reason: text().notNull(),
    changedBy: text().notNull(),
    changedByRole: text().notNull(),
    changedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('bank_status_changes_bank_idx').on(t.bank, t.changedAt)],
);

export const paymentStatus = pgEnum('payment_status', ['awaitingPayer', 'awaitingDebit', 'debited', 'settled', 'failed', 'expired', 'cancelled']);
export const beneficiaryKind = pgEnum('beneficiary_kind', ['bank', 'treasury']);

/**
 * The Portal's record of every payment (Art 34.4a/c "giao dịch ghi nhận trên hệ thống thanh toán
 * trực tuyến của Cổng"): a projection written by the payment workflow's activities, newest
 * revision wins. `txnDate` is the local (UTC+7) day of the debit, or of the failure/expiry: the
 * day the payment is reconciled on.
 */
export const payments = pgTable(
  'payments',
  {
    id: text().primaryKey(),
    agency: text().notNull(),
    requestRef: text().notNull(),
    dossierCode: text().notNull(),
    feeTypeCode: text().notNull(),
    amount: vnd().notNull(),
    beneficiaryKind: beneficiaryKind().notNull(),
    beneficiaryInstitution: text().notNull(),
    beneficiaryAccount: text().notNull(),
    beneficiaryName: text().notNull(),
    payerBank: text(),
    bankTxnRef: text(),
    status: paymentStatus().notNull(),
    txnDate: date({ mode: 'string' }),
    /** When the payer was debited, as the bank states it (T of Art 33.4a). */
    debitedAt: timestamp({ withTimezone: true }),
    /** When the bank reported the debit to the Portal. */
    debitReportedAt: timestamp({ withTimezone: true }),
    /** Project rule: the debit was reported more than the allowed hours after it happened. */
    debitReportedLate: boolean().notNull().default(false),
    /** The bank's signed receipt was verified (Art 31.2c–d), or VPCP recorded why the payment settles without one. */
    receiptVerifiedAt: timestamp({ withTimezone: true }),
    receiptException: text(),
    settledAt: timestamp({ withTimezone: true }),
    settlementRef: text(),
    settlementDueAt: timestamp({ withTimezone: true }),
    settlementBreached: boolean().notNull().default(false),
    /** Interbank working days the settlement came after T+1 (Art 33.4a penalty basis). */
    settlementWorkingDaysLate: integer(),
    settlementCalendarDaysLate: integer(),
    endReason: text(),
    revision: integer().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('payments_agency_request_ref_uq').on(t.agency, t.requestRef),
    index('payments_txn_date_idx').on(t.txnDate),
    // The list's keyset order (created_at, id), newest first: whole, per payer bank, per agency (issue 18.3).
    index('payments_created_idx').on(t.createdAt, t.id),
    index('payments_payer_bank_idx').on(t.payerBank, t.createdAt, t.id),
    index('payments_agency_idx').on(t.agency, t.createdAt, t.id),
    index('payments_dossier_idx').on(t.dossierCode),
    index('payments_debit_reported_late_idx').on(t.debitReportedAt).where(sql`${t.debitReportedLate}`),
  ],
);

/**
 * The digitally signed receipt (chứng từ nộp NSNN, Art 31.2c) the payer's bank issues: stored as
 * received with its signature metadata. One per payment; a repeated callback stores nothing new.
 */
export const paymentReceipts = pgTable('payment_receipts', {
  paymentId: text().primaryKey(),
  bank: text().notNull(),
  receiptNo: text().notNull(),
  issuedAt: timestamp({ withTimezone: true }).notNull(),
  /** The receipt document as sent (e.g. base64 XML/PDF). */
  document: text().notNull(),
  signer: text().notNull(),
  signatureAlgorithm: text().notNull(),
  signatureValue: text().notNull(),
  signedAt: timestamp({ withTimezone: true }).notNull(),
  /** How the signature was verified: the registered certificate's fingerprint, the document's SHA-256, when. */
  certFingerprint: text(),
  documentSha256: text(),
  verifiedAt: timestamp({ withTimezone: true }),
  receivedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/**
 * Every bank callback the payment workflow processed, by the bank's callback id: a duplicate
 * arriving after the workflow has closed still gets the original answer.
 */
export const paymentCallbacks = pgTable(
  'payment_callbacks',
  {
    bank: text().notNull(),
    callbackId: text().notNull(),
    paymentId: text().notNull(),
    kind: text().notNull(),
    result: jsonb().$type<Record<string, unknown>>().notNull(),
    processedAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.bank, t.callbackId] }), index('payment_callbacks_payment_idx').on(t.paymentId)],
);
