import { and, asc, desc, eq, ne, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../client.js';
import { banks, bankStatusChanges, businessKeys, paymentCallbacks, paymentReceipts, payments } from '../schema/index.js';
import type { CallbackResult, PaymentView, ReceiptInput } from '../../domain/payments/types.js';
import { recordSentNotification } from './notifications.js';
import { keysetAfter } from './keyset.js';
import { preparedPer } from './prepared.js';
import { caseBreach } from './sla.js';

// ---- bank register (Art 33.2, 33.7) ----

const bankColumns = {
  code: banks.code,
  name: banks.name,
  nameVi: banks.nameVi,
  kind: banks.kind,
  status: banks.status,
  statusReason: banks.statusReason,
  statusChangedBy: banks.statusChangedBy,
  statusChangedAt: banks.statusChangedAt,
  receiptCertFingerprint: banks.receiptCertFingerprint,
};
export type BankStatus = (typeof banks.status.enumValues)[number];

export function listBanks(db: Executor) {
  return db.select(bankColumns).from(banks).orderBy(asc(banks.code));
}

export async function findBank(db: Executor, code: string) {
  const [row] = await db.select(bankColumns).from(banks).where(eq(banks.code, code));
  return row;
}

export function bankHistory(db: Executor, code: string) {
  return db
    .select({ status: bankStatusChanges.status, reason: bankStatusChanges.reason, changedBy: bankStatusChanges.changedBy, changedByRole: bankStatusChanges.changedByRole, changedAt: bankStatusChanges.changedAt })
    .from(bankStatusChanges)
    .where(eq(bankStatusChanges.bank, code))
    .orderBy(asc(bankStatusChanges.id));
}

interface ChangedBy {
  userId: string;
  role: string;
}

/** The certificate a bank's receipts are verified against (Art 31.2c), when VPCP has registered one. */
export async function findBankReceiptCertificate(db: Executor, code: string) {
  const [row] = await db.select({ pem: banks.receiptCertificate, fingerprint: banks.receiptCertFingerprint }).from(banks).where(eq(banks.code, code));
  return row?.pem ? { pem: row.pem, fingerprint: row.fingerprint ?? '' } : undefined;
}

interface BankRegistration {
  code: string;
  name: string;
  nameVi: string;
  kind: (typeof banks.kind.enumValues)[number];
  /** The receipt-signing certificate (PEM) and its fingerprint; absent = keep the registered one. */
  receiptCertificate?: { pem: string; fingerprint: string };
}

/**
 * Registers a bank (active) or updates its names and receipt certificate; the register keeps who
 * did it (a new certificate is a change of the register with its fingerprint).
 */
export async function registerBank(db: Executor, bank: BankRegistration, by: ChangedBy) {
  const { receiptCertificate, ...names } = bank;
  const certificate = receiptCertificate ? { receiptCertificate: receiptCertificate.pem, receiptCertFingerprint: receiptCertificate.fingerprint } : {};
  return db.transaction(async (tx) => {
    const [created] = await tx.insert(banks).values({ ...names, ...certificate }).onConflictDoNothing().returning({ code: banks.code });
    if (created) {
      await tx.insert(bankStatusChanges).values({ bank: bank.code, status: 'active', reason: 'registered', changedBy: by.userId, changedByRole: by.role });
    } else {
      const [before] = await tx.select({ status: banks.status, fingerprint: banks.receiptCertFingerprint }).from(banks).where(eq(banks.code, bank.code)).for('update');
      await tx.update(banks).set({ name: names.name, nameVi: names.nameVi, kind: names.kind, ...certificate }).where(eq(banks.code, bank.code));
      if (receiptCertificate && before && before.fingerprint !== receiptCertificate.fingerprint) {
        await tx.insert(bankStatusChanges).values({
          bank: bank.code, status: before.status, reason: `receipt certificate ${receiptCertificate.fingerprint} registered`, changedBy: by.userId, changedByRole: by.role,
        });
      }
    }
    if (created && receiptCertificate) {
      await tx.insert(bankStatusChanges).values({
        bank: bank.code, status: 'active', reason: `receipt certificate ${receiptCertificate.fingerprint} registered`, changedBy: by.userId, changedByRole: by.role,
      });
    }
    return { created: !!created };
  });
}

/** What a bank is told of a change of its status (Art 33.7). */
const inFlight = { vi: ' Không nhận thanh toán mới; các giao dịch đang thực hiện được tiếp tục.', en: ' No new payments; payments in flight complete.' };
const STATUS_NOTICE: Record<BankStatus, { vi: string; en: string; effectVi: string; effect: string }> = {
  suspended: { vi: 'bị tạm ngừng cung cấp dịch vụ thanh toán trên Cổng Dịch vụ công quốc gia', en: "suspended from the Portal's payment service", effectVi: inFlight.vi, effect: inFlight.en },
  stopped: { vi: 'bị dừng cung cấp dịch vụ thanh toán trên Cổng Dịch vụ công quốc gia', en: "stopped from the Portal's payment service", effectVi: inFlight.vi, effect: inFlight.en },
  active: { vi: 'được cung cấp dịch vụ thanh toán trên Cổng Dịch vụ công quốc gia trở lại', en: "allowed to provide the Portal's payment service again", effectVi: '', effect: '' },
};

/**
 * VPCP suspends, stops or resumes a bank (Art 33.7); the change and its reason are kept, and the
 * bank's notice is written in the same transaction (so a change is never left untold).
 */
export async function setBankStatus(db: Executor, code: string, status: BankStatus, reason: string, by: ChangedBy) {
  return db.transaction(async (tx) => {
    const at = new Date();
    const [row] = await tx
      .update(banks)
      .set({ status, statusReason: reason, statusChangedBy: by.userId, statusChangedAt: at })
      .where(eq(banks.code, code))
      .returning({ code: banks.code });
    if (!row) return undefined;
    const [change] = await tx.insert(bankStatusChanges)
      .values({ bank: code, status, reason, changedBy: by.userId, changedByRole: by.role, changedAt: at })
      .returning({ id: bankStatusChanges.id });
    const notice = STATUS_NOTICE[status];
    // The register is reference data, not a case: the notice links to no workflow.
    await recordSentNotification(tx, {
      key: `bank-${code}:status-${change!.id}:portal`, workflowId: null, channel: 'portal', recipient: code, recipientKind: 'bank',
      template: `bank.${status}`, providerId: 'portal-inbox',
      subjectVi: `Ngân hàng ${code} ${notice.vi}`, subject: `Bank ${code} ${notice.en}`,
      bodyVi: `Văn phòng Chính phủ thông báo: ngân hàng ${code} ${notice.vi} (Điều 33.7).${notice.effectVi} Lý do: ${reason}`,
      body: `VPCP notice: bank ${code} is ${notice.en} (Art 33.7).${notice.effect} Reason: ${reason}`,
      data: { bank: code, status, reason, changedAt: at.toISOString(), changedBy: by.userId },
    });
    return findBank(tx, code);
  });
}

// ---- payments projection ----

/** The projection row of a payment's view. */
function paymentRow(view: PaymentView) {
  return {
    id: view.paymentId,
    agency: view.agency,
    requestRef: view.requestRef,
    dossierCode: view.dossierCode,
    feeTypeCode: view.feeTypeCode,
    amount: view.amount,
    beneficiaryKind: view.beneficiary.kind,
    beneficiaryInstitution: view.beneficiary.institution,
    beneficiaryAccount: view.beneficiary.account,
    beneficiaryName: view.beneficiary.name,
    payerBank: view.payerBank ?? null,
    bankTxnRef: view.bankTxnRef ?? null,
    status: view.status,
    txnDate: view.txnDate ?? null,
    debitedAt: view.debitedAt ? new Date(view.debitedAt) : null,
    debitReportedAt: view.debitReportedAt ? new Date(view.debitReportedAt) : null,
    debitReportedLate: view.debitReportedLate ?? false,
    receiptVerifiedAt: view.receipt?.verification ? new Date(view.receipt.verification.verifiedAt) : null,
    receiptException: view.receiptException?.reason ?? null,
    settledAt: view.settlement ? new Date(view.settlement.settledAt) : null,
    settlementRef: view.settlement?.transferRef ?? null,
    settlementDueAt: view.settlementDueAt ? new Date(view.settlementDueAt) : null,
    settlementBreached: view.settlementBreached,
    settlementWorkingDaysLate: view.settlement?.workingDaysLate ?? null,
    settlementCalendarDaysLate: view.settlement?.calendarDaysLate ?? null,
    endReason: view.endReason ?? null,
    revision: view.revision,
    createdAt: new Date(view.createdAt),
    updatedAt: new Date(),
  };
}

/** Idempotent: the newest revision of the workflow's view wins; a retried older one changes nothing. */
export async function upsertPayment(db: Executor, view: PaymentView): Promise<void> {
  const row = paymentRow(view);
  // The id and the registration instant stay as first written (the API's row or the workflow's):
  // the keyset cursor of the list pages on created_at, which must not move under a reader.
  const { id: _id, createdAt: _createdAt, ...updatable } = row;
  await db
    .insert(payments)
    .values(row)
    .onConflictDoUpdate({
      target: payments.id,
      set: Object.fromEntries(Object.keys(updatable).map((k) => [k, sql.raw(`excluded.${toSnake(k)}`)])),
      setWhere: sql`${payments.revision} < excluded.revision`,
    });
}

/**
 * Read your writes after the API started a payment, in one statement: its business key is marked
 * started and the payment's first projection row (the state it starts in, revision 0) is landed, so
 * a GET right after the 201 finds it without waiting for the worker. The row never replaces one:
 * the workflow's own writes (revision 1 on) win whether they land before or after it.
 */
export async function landStartedPayment(db: Executor, view: PaymentView, business: { kind: string; key: string }): Promise<void> {
  const row = paymentRow(view);
  // Each value as its column sends it (a Date as the text PostgreSQL reads), null as null.
  const values = Object.fromEntries(PAYMENT_ROW_COLUMNS.map((column) => [column, row[column] === null ? null : payments[column].mapToDriverValue(row[column])]));
  await landStartedStatement(db).execute({ ...values, businessKind: business.kind, businessKey: business.key });
}

/** Every column `paymentRow` writes (checked against it: none missing, none extra). */
const PAYMENT_ROW_COLUMNS = Object.keys({
  id: 0, agency: 0, requestRef: 0, dossierCode: 0, feeTypeCode: 0, amount: 0, beneficiaryKind: 0, beneficiaryInstitution: 0, beneficiaryAccount: 0,
  beneficiaryName: 0, payerBank: 0, bankTxnRef: 0, status: 0, txnDate: 0, debitedAt: 0, debitReportedAt: 0, debitReportedLate: 0, receiptVerifiedAt: 0,
  receiptException: 0, settledAt: 0, settlementRef: 0, settlementDueAt: 0, settlementBreached: 0, settlementWorkingDaysLate: 0,
  settlementCalendarDaysLate: 0, endReason: 0, revision: 0, createdAt: 0, updatedAt: 0,
} satisfies Record<keyof ReturnType<typeof paymentRow>, 0>) as (keyof ReturnType<typeof paymentRow>)[];

// Every payment start runs it (README "Starts"): prepared once per database handle.
const landStartedStatement = preparedPer((db) => {
  const marked = db.$with('marked').as(
    db.update(businessKeys).set({ started: true })
      .where(and(eq(businessKeys.kind, sql.placeholder('businessKind')), eq(businessKeys.key, sql.placeholder('businessKey')), ne(businessKeys.started, true)))
      .returning({ key: businessKeys.key }),
  );
  // As SQL, not bare placeholders (whose column encoder drizzle calls even on a null timestamp):
  // the caller encodes the values.
  const values = Object.fromEntries(PAYMENT_ROW_COLUMNS.map((column) => [column, sql`${sql.placeholder(column)}`])) as unknown as ReturnType<typeof paymentRow>;
  return db.with(marked).insert(payments).values(values).onConflictDoNothing({ target: payments.id }).prepare('land_started_payment');
});

const toSnake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const paymentColumns = {
  paymentId: payments.id,
  agency: payments.agency,
  requestRef: payments.requestRef,
  dossierCode: payments.dossierCode,
  feeTypeCode: payments.feeTypeCode,
  amount: payments.amount,
  beneficiaryKind: payments.beneficiaryKind,
  beneficiaryInstitution: payments.beneficiaryInstitution,
  beneficiaryAccount: payments.beneficiaryAccount,
  payerBank: payments.payerBank,
  bankTxnRef: payments.bankTxnRef,
  status: payments.status,
  txnDate: payments.txnDate,
  debitedAt: payments.debitedAt,
  debitReportedAt: payments.debitReportedAt,
  debitReportedLate: payments.debitReportedLate,
  receiptVerifiedAt: payments.receiptVerifiedAt,
  receiptException: payments.receiptException,
  settledAt: payments.settledAt,
  settlementDueAt: payments.settlementDueAt,
  settlementBreached: payments.settlementBreached,
  settlementWorkingDaysLate: payments.settlementWorkingDaysLate,
  endReason: payments.endReason,
  createdAt: payments.createdAt,
  updatedAt: payments.updatedAt,
  // The payment id is its workflow id.
  ...caseBreach(payments.id),
};

export async function findPayment(db: Executor, paymentId: string) {
  const [row] = await db.select(paymentColumns).from(payments).where(eq(payments.id, paymentId));
  return row;
}

/** Scope: an agency sees its payments, a bank the payments made through it, supervisors all. */
export interface PaymentScope {
  agency?: string;
  bank?: string;
}

export function listPayments(
  db: Executor,
  params: PaymentScope & {
    status?: (typeof payments.status.enumValues)[number]; txnDate?: string; settlementBreached?: boolean; debitReportedLate?: boolean;
    limit: number; after?: readonly [createdAt: string, id: string];
  },
) {
  const filters: (SQL | undefined)[] = [
    params.agency ? eq(payments.agency, params.agency) : undefined,
    params.bank ? eq(payments.payerBank, params.bank) : undefined,
    params.status ? eq(payments.status, params.status) : undefined,
    params.txnDate ? eq(payments.txnDate, params.txnDate) : undefined,
    params.settlementBreached !== undefined ? eq(payments.settlementBreached, params.settlementBreached) : undefined,
    params.debitReportedLate !== undefined ? eq(payments.debitReportedLate, params.debitReportedLate) : undefined,
    params.after ? keysetAfter('desc', [payments.createdAt, payments.id], params.after, ['timestamptz']) : undefined,
  ];
  // Newest first (issue 18.3): keyset pages over (created_at, id), which the indexes end in.
  return db.select(paymentColumns).from(payments).where(and(...filters)).orderBy(desc(payments.createdAt), desc(payments.id)).limit(params.limit);
}

// ---- receipts and callbacks ----

/** One receipt per payment: a repeated callback stores nothing new. */
export async function insertReceipt(db: Executor, input: { paymentId: string; bank: string; receipt: ReceiptInput }): Promise<void> {
  const { receipt } = input;
  await db
    .insert(paymentReceipts)
    .values({
      paymentId: input.paymentId,
      bank: input.bank,
      receiptNo: receipt.receiptNo,
      issuedAt: new Date(receipt.issuedAt),
      document: receipt.document,
      signer: receipt.signature.signer,
      signatureAlgorithm: receipt.signature.algorithm,
      signatureValue: receipt.signature.value,
      signedAt: new Date(receipt.signature.signedAt),
      certFingerprint: receipt.verification?.certFingerprint ?? null,
      documentSha256: receipt.verification?.documentSha256 ?? null,
      verifiedAt: receipt.verification ? new Date(receipt.verification.verifiedAt) : null,
    })
    .onConflictDoNothing();
}

export async function findReceipt(db: Executor, paymentId: string) {
  const [row] = await db.select().from(paymentReceipts).where(eq(paymentReceipts.paymentId, paymentId));
  return row;
}

export async function insertCallback(db: Executor, input: { bank: string; result: CallbackResult }): Promise<void> {
  const { result } = input;
  await db
    .insert(paymentCallbacks)
    .values({ bank: input.bank, callbackId: result.callbackId, paymentId: result.paymentId, kind: result.kind, result: { ...result }, processedAt: new Date(result.processedAt) })
    .onConflictDoNothing();
}

export async function findCallback(db: Executor, bank: string, callbackId: string): Promise<CallbackResult | undefined> {
  const [row] = await db
    .select({ result: paymentCallbacks.result })
    .from(paymentCallbacks)
    .where(and(eq(paymentCallbacks.bank, bank), eq(paymentCallbacks.callbackId, callbackId)));
  return row?.result as CallbackResult | undefined;
}
