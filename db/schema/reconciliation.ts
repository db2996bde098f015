import { bigint, boolean, date, index, integer, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const vnd = () => bigint({ mode: 'number' });

export const reconciliationSource = pgEnum('reconciliation_source', ['bank', 'agency']);
export const lineStatus = pgEnum('reconciliation_line_status', ['success', 'failed']);

/**
 * One upload of a party's records for one day and agency × bank (Art 34.2): the bank's statement
 * or the agency's own records. A new upload for the same key replaces the previous lines.
 */
export const reconciliationUploads = pgTable(
  'reconciliation_uploads',
  {
    source: reconciliationSource().notNull(),
    agency: text().notNull(),
    bank: text().notNull(),
    txnDate: date({ mode: 'string' }).notNull(),
    lineCount: integer().notNull(),
    format: text().notNull(),
    uploadedBy: text().notNull(),
    uploadedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.source, t.agency, t.bank, t.txnDate] })],
);

/**
 * The lines of bank statements and agency records, one table for both sources (same shape,
 * compared the same way). `paymentId` is the Portal's payment id both parties carry; a payment
 * appearing twice on one side (two bank debits) is a duplicate payment.
 */
export const reconciliationLines = pgTable(
  'reconciliation_lines',
  {
    id: bigint({ mode: 'number' }).generatedAlwaysAsIdentity().primaryKey(),
    source: reconciliationSource().notNull(),
    agency: text().notNull(),
    bank: text().notNull(),
    txnDate: date({ mode: 'string' }).notNull(),
    paymentId: text().notNull(),
    bankTxnRef: text().notNull(),
    amount: vnd().notNull(),
    status: lineStatus().notNull(),
    feeTypeCode: text(),
  },
  (t) => [
    uniqueIndex('reconciliation_lines_key_uq').on(t.source, t.agency, t.bank, t.txnDate, t.paymentId, t.bankTxnRef),
    index('reconciliation_lines_day_idx').on(t.txnDate, t.source),
  ],
);

export const reconciliationOutcome = pgEnum('reconciliation_outcome', [
  'matched',
  'missingAtPortal',
  'missingAtBank',
  'missingAtAgency',
  'amountMismatch',
  'statusMismatch',
  'duplicate',
  /** A party (bank or agency) has not uploaded its records for the day yet: no difference is raised (Art 34.2). */
  'awaitingUpload',
]);
export const discrepancyOwnerKind = pgEnum('discrepancy_owner_kind', ['bank', 'agency']);

/**
 * The differences the three-way comparison (Art 34.4 a–c) of one day found: one row per payment id
 * and occurrence (`seq` > 1 = a further occurrence, i.e. a duplicate) that did not match — also
 * those awaiting an upload — with what each side recorded. A matched transaction has no row (the
 * day sums count it; the detail lists it from the source records). Written by one set-based
 * statement; a re-run of the day replaces the rows (issue 18.2).
 */
export const reconciliationResults = pgTable(
  'reconciliation_results',
  {
    txnDate: date({ mode: 'string' }).notNull(),
    agency: text().notNull(),
    bank: text().notNull(),
    paymentId: text().notNull(),
    seq: integer().notNull(),
    outcome: reconciliationOutcome().notNull(),
    /** Who must investigate (null when matched): see the owner rule in the README. */
    ownerKind: discrepancyOwnerKind(),
    portalAmount: vnd(),
    bankAmount: vnd(),
    agencyAmount: vnd(),
    portalStatus: text(),
    bankStatus: text(),
    agencyStatus: text(),
    bankTxnRef: text(),
    feeTypeCode: text(),
  },
  (t) => [primaryKey({ columns: [t.txnDate, t.agency, t.bank, t.paymentId, t.seq] })],
);

/**
 * Every transaction of a day counted and summed per agency × bank × fee type × outcome × status
 * (Art 34.3 "tổng hợp"), matched ones included, written with the differences by the same
 * statement: a report of any period reads a few rows per day, never the day's transactions.
 */
export const reconciliationSummaries = pgTable(
  'reconciliation_summaries',
  {
    txnDate: date({ mode: 'string' }).notNull(),
    agency: text().notNull(),
    bank: text().notNull(),
    /** '' when no side recorded a fee type. */
    feeTypeCode: text().notNull(),
    outcome: reconciliationOutcome().notNull(),
    /** The transaction's status as the Portal recorded it, else the bank, else the agency. */
    status: text().notNull(),
    transactions: integer().notNull(),
    /** Sums of the amounts each side recorded as successful. */
    portalTotal: vnd().notNull(),
    bankTotal: vnd().notNull(),
    agencyTotal: vnd().notNull(),
  },
  (t) => [primaryKey({ columns: [t.txnDate, t.agency, t.bank, t.feeTypeCode, t.outcome, t.status] })],
);

export const reconciliationDayStatus = pgEnum('reconciliation_day_status', ['running', 'reconciled']);

/** One row per reconciled day: the schedule catches up from the last reconciled day. */
export const reconciliationDays = pgTable('reconciliation_days', {
  txnDate: date({ mode: 'string' }).primaryKey(),
  status: reconciliationDayStatus().notNull(),
  workflowId: text().notNull(),
  transactions: integer().notNull().default(0),
  discrepancies: integer().notNull().default(0),
  startedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  reconciledAt: timestamp({ withTimezone: true }),
});

export const discrepancyStatus = pgEnum('discrepancy_status', ['open', 'resolved']);

/** Projection of the discrepancy workflows (Art 34.5): each difference, its owner and its fate. */
export const discrepancies = pgTable(
  'discrepancies',
  {
    id: text().primaryKey(),
    txnDate: date({ mode: 'string' }).notNull(),
    agency: text().notNull(),
    bank: text().notNull(),
    paymentId: text().notNull(),
    seq: integer().notNull(),
    kind: text().notNull(),
    ownerKind: discrepancyOwnerKind().notNull(),
    owner: text().notNull(),
    status: discrepancyStatus().notNull(),
    cause: text(),
    resolution: text(),
    dueAt: timestamp({ withTimezone: true }),
    breached: boolean().notNull().default(false),
    refundId: text(),
    /** What each side recorded when the case last learnt of the difference: a re-run compares against it. */
    portalAmount: vnd(),
    bankAmount: vnd(),
    agencyAmount: vnd(),
    revision: integer().notNull(),
    detectedAt: timestamp({ withTimezone: true }).notNull(),
    resolvedAt: timestamp({ withTimezone: true }),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('discrepancies_day_idx').on(t.txnDate, t.agency, t.bank), index('discrepancies_owner_idx').on(t.owner, t.status)],
);

export const refundOrigin = pgEnum('refund_origin', ['reconciliation', 'payerRequest', 'agencyInitiated']);
export const refundStatus = pgEnum('refund_status', ['investigating', 'awaitingRefund', 'refunded', 'rejected', 'alreadyRefunded']);

/** Projection of the refund workflows (Art 34.6). */
export const refunds = pgTable(
  'refunds',
  {
    id: text().primaryKey(),
    origin: refundOrigin().notNull(),
    paymentId: text().notNull(),
    agency: text().notNull(),
    bank: text().notNull(),
    bankTxnRef: text().notNull(),
    amount: vnd().notNull(),
    reason: text().notNull(),
    status: refundStatus().notNull(),
    /** Who refunds: the bank (Art 34.6a, 34.6b its fault) or the agency (Art 34.6b–c). */
    responsibleKind: discrepancyOwnerKind().notNull(),
    /** The bank's finding on a payer's request: its own fault, the agency's, or unfounded. */
    finding: text(),
    discrepancyId: text(),
    revision: integer().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('refunds_payment_idx').on(t.paymentId), index('refunds_bank_idx').on(t.bank, t.status), index('refunds_agency_idx').on(t.agency, t.status),
    // The refunds list, newest first by keyset (issue 18.3).
    index('refunds_created_idx').on(t.createdAt, t.id),
  ],
);

/**
 * Money actually returned to a payer. The primary key makes a refund payable once; the unique
 * (payment, debit) makes one debit refundable once, whichever refund case asks for it.
 */
export const refundPayouts = pgTable(
  'refund_payouts',
  {
    refundId: text().primaryKey(),
    paymentId: text().notNull(),
    bankTxnRef: text().notNull(),
    amount: vnd().notNull(),
    paidByKind: discrepancyOwnerKind().notNull(),
    paidBy: text().notNull(),
    payoutRef: text().notNull(),
    paidAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('refund_payouts_debit_uq').on(t.paymentId, t.bankTxnRef)],
);
