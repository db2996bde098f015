import { allHandlersFinished, condition, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { shortActivity } from './activity-options.js';
import { ActionGate, actorCode, refuse, requireAgency, requireRole, type ActionRecord, type ActorRef } from './actors.js';
import {
  DEFAULT_DEBIT_REPORT_LIMIT_HOURS,
  PAYMENT_END_STATES,
  PAYMENT_PROCESS,
  cancelPaymentUpdate,
  callbackFingerprint,
  choosePayerBankUpdate,
  paymentQuery,
  recordReceiptExceptionUpdate,
  reportDebitUpdate,
  reportFailureUpdate,
  reportReceiptUpdate,
  reportSettlementUpdate,
  startedPaymentView,
  vietnamDate,
  type CallbackKind,
  type CallbackResult,
  type PaymentRequest,
  type PaymentStatus,
  type PaymentView,
  type ReceiptCallback,
  type ReceiptInput,
} from './payment.definitions.js';
import { SlaTracker } from './sla.js';

const { checkBankAcceptsPayments, projectPayment, storePaymentReceipt, recordPaymentCallback, measureSettlementDelay, sendNotification } =
  proxyActivities<ReturnType<typeof createActivities>>(shortActivity);

const DEFAULT_EXPIRY_DAYS = 3;
/** Patch id (README, versioning rule): histories from before it replay without the final clean-up. */
const CLOSE_OPEN_CLOCKS_AT_END = 'payment-close-open-clocks-at-end';
/** Project rule: an expired request whose payer had chosen a bank still accepts a late debit report this long. */
const LATE_DEBIT_WORKING_DAYS = 1;
/**
 * Patch id: runs started before it replay on the old path — T from the debit report, a settlement
 * ends the payment without a receipt, receipts unverified and not delivered.
 */
const SIGNED_RECEIPT = 'payment-signed-receipt-and-debit-time';
/** Project rule: a bank's clock may run this far ahead of the Portal's. */
const CLOCK_SKEW_MS = 60_000;

/** The receipt to store: from the facts the API verified, or (older histories) as the bank sent it. */
function receiptOf(input: ReceiptCallback): ReceiptInput | undefined {
  const v = input.verified;
  if (v) {
    return {
      receiptNo: v.receiptNo, issuedAt: v.issuedAt, document: input.document,
      signature: { signer: v.signer, algorithm: v.signatureAlgorithm, value: v.signatureValue, signedAt: v.issuedAt },
      verification: {
        method: 'xmldsig', certFingerprint: v.certFingerprint, documentSha256: v.documentSha256, verifiedAt: v.verifiedAt,
        bankTxnRef: v.bankTxnRef, amount: v.amount, debitedAt: v.debitedAt,
      },
    };
  }
  const s = input.signature;
  if (!input.receiptNo || !input.document || !s?.signer || !s.algorithm || !s.value || !s.signedAt || !input.issuedAt) return undefined;
  return { receiptNo: input.receiptNo, issuedAt: input.issuedAt, document: input.document, signature: s };
}

/**
 * Online payment of a fee (Art 31–33): the agency's request → the payer picks a connected bank →
 * the bank reports the debit (Portal status and agency notified at once, Art 31.2c), the signed
 * receipt, and the transfer to the beneficiary account, due T+1 (Art 33.4a). Ends settled,
 * failed, expired or cancelled; a late settlement stays flagged (breach of the bank) until it comes.
 */
export async function paymentWorkflow(request: PaymentRequest): Promise<PaymentView> {
  // Art 31.2c–d, 33.4a: the dossier continues on the verified signed receipt; T is the debit's own day.
  const signedReceipts = patched(SIGNED_RECEIPT);
  const paymentId = workflowInfo().workflowId;
  const sla = new SlaTracker({ process: PAYMENT_PROCESS, agency: request.agency, initialStage: 'awaitingPayer', ruleSet: request.ruleSet ?? null });
  const actions: ActionRecord[] = [];
  const callbacks = new Map<string, CallbackResult>();
  const view: PaymentView = { ...startedPaymentView(paymentId, request, new Date().toISOString()), actions };
  /** A bank-side receipt that came before its debit (reordered callbacks): applied with the debit. */
  let bufferedReceipt: ReceiptCallback | undefined;
  let payerEmail: string | undefined;
  /** One action at a time: a validator refuses while another handler awaits its activities. */
  const gate = new ActionGate();

  const record = (action: string, actor: ActorRef, note?: string, data?: Record<string, unknown>) =>
    actions.push({ seq: actions.length + 1, action, actor, at: new Date().toISOString(), ...(note ? { note } : {}), ...(data ? { data } : {}) });
  const publish = async () => {
    view.revision += 1;
    await projectPayment({ ...view, actions: [...actions] });
  };
  const setStatus = (status: PaymentStatus) => {
    view.status = status;
    sla.setStage(status);
  };
  const isOpen = () => !PAYMENT_END_STATES.includes(view.status);
  /** Set at expiry when a bank had been chosen: the late-debit window (its clock may still be starting). */
  let lateDebitWindow = false;
  const lateDebitOpen = () => lateDebitWindow && (sla.get('lateDebit')?.outcome ?? 'pending') === 'pending';

  /**
   * Validator half of every bank callback: a known callback id is a duplicate (answered from
   * memory by the handler); otherwise only the payer's chosen bank may report, in a state where
   * the report makes sense.
   */
  const validateCallback = (kind: CallbackKind, input: { callbackId: string; actor: ActorRef }, allowed: readonly PaymentStatus[]) => {
    gate.assertFree(kind);
    if (!input?.callbackId) refuse('Validation', `${kind}: callbackId is required`);
    // Who may report comes first: another bank never learns an answer given to the payer's bank.
    requireRole(input.actor, ['bank'], kind);
    if (!view.payerBank) refuse('InvalidTransition', `${kind}: the payer has not chosen a bank yet`);
    if (input.actor.bank !== view.payerBank) refuse('Forbidden', `${kind}: bank ${input.actor.bank ?? '?'} is not the payer's bank for this payment`);
    const seen = callbacks.get(input.callbackId);
    if (seen) {
      if (seen.kind !== kind) refuse('Validation', `callback ${input.callbackId} was already used for a ${seen.kind} report`);
      if (seen.fingerprint && seen.fingerprint !== callbackFingerprint(input)) refuse('InvalidTransition', `callback ${input.callbackId} was already used for a different ${kind} report`);
      return;
    }
    if (!allowed.includes(view.status)) refuse('InvalidTransition', `${kind}: not possible while the payment is ${view.status}`);
  };
  /** Handler half: a duplicate returns the first answer; a new callback is applied, answered and remembered. */
  const handleCallback = (kind: CallbackKind, input: { callbackId: string; actor: ActorRef }, apply: () => Promise<Partial<CallbackResult> | void>) =>
    gate.run(kind, async () => {
      const seen = callbacks.get(input.callbackId);
      if (seen) return seen;
      const extra = (await apply()) ?? {};
      const result: CallbackResult = {
        paymentId, callbackId: input.callbackId, kind, status: view.status, ...extra, processedAt: new Date().toISOString(), fingerprint: callbackFingerprint(input),
      };
      callbacks.set(input.callbackId, result);
      await recordPaymentCallback({ bank: input.actor.bank ?? '', result });
      return result;
    });

  const end = async (status: PaymentStatus, reason: string) => {
    setStatus(status);
    view.endReason = reason;
    view.txnDate ??= vietnamDate(new Date().toISOString());
    await sla.cancelAll(`payment ${status}`);
  };

  setHandler(paymentQuery, () => ({ ...view, actions: [...actions] }));

  setHandler(
    choosePayerBankUpdate,
    ({ bank, payerEmail: email, actor }) =>
      gate.run('choosePayerBank', async () => {
        // The register is checked when the payer picks the bank: a suspended bank takes no new payment.
        const check = await checkBankAcceptsPayments({ bank });
        if (!check.accepts) refuse('Refused', check.reason ?? `bank ${bank} does not accept payments`);
        if (view.status !== 'awaitingPayer') refuse('InvalidTransition', `the payment is ${view.status}`);
        view.payerBank = bank;
        payerEmail = email;
        setStatus('awaitingDebit');
        record('payerBankChosen', actor, undefined, { bank });
        await publish();
        return { ...view, actions: [...actions] };
      }),
    {
      validator: ({ bank, actor }) => {
        gate.assertFree('choosePayerBank');
        requireRole(actor, ['portal'], 'choose the payer bank');
        if (!bank) refuse('Validation', 'bank is required');
        if (view.status !== 'awaitingPayer') refuse('InvalidTransition', `the payer bank can be chosen only once, before payment (payment is ${view.status})`);
      },
    },
  );

  setHandler(
    cancelPaymentUpdate,
    ({ reason, actor }) =>
      gate.run('cancel', async () => {
        record('cancelled', actor, reason);
        await end('cancelled', reason);
        await publish();
        return { ...view, actions: [...actions] };
      }),
    {
      validator: ({ reason, actor }) => {
        gate.assertFree('cancel');
        requireRole(actor, ['agency'], 'cancel the payment');
        requireAgency(actor, request.agency, 'cancel the payment');
        if (!reason) refuse('Validation', 'a reason is required to cancel a payment');
        if (view.status !== 'awaitingPayer' && view.status !== 'awaitingDebit') refuse('InvalidTransition', `a ${view.status} payment cannot be cancelled`);
      },
    },
  );

  setHandler(
    reportDebitUpdate,
    (input) =>
      handleCallback('debit', input, async () => {
        // The same debit reported under a new callback id (a bank retry) changes nothing.
        if (view.bankTxnRef === input.bankTxnRef) return;
        const now = new Date().toISOString();
        const late = view.status === 'expired';
        // Art 33.4a: T is the day the payer was debited (the bank's timestamp, within the allowed
        // clock skew never after the report), so reporting late cannot move the bank's own T+1.
        const debitedAt = signedReceipts && input.debitedAt ? new Date(Math.min(Date.parse(input.debitedAt), Date.parse(now))).toISOString() : now;
        view.bankTxnRef = input.bankTxnRef;
        view.debitedAt = debitedAt;
        view.txnDate = vietnamDate(debitedAt);
        setStatus('debited');
        record(late ? 'debitedAfterExpiry' : 'debited', input.actor, undefined, { bankTxnRef: input.bankTxnRef, amount: input.amount, callbackId: input.callbackId, ...(signedReceipts ? { debitedAt } : {}) });
        if (signedReceipts) {
          view.debitReportedAt = now;
          const limitHours = request.debitReportLimitHours ?? DEFAULT_DEBIT_REPORT_LIMIT_HOURS;
          const delayMinutes = Math.floor((Date.parse(now) - Date.parse(debitedAt)) / 60_000);
          // Project rule: a debit the bank reports more than N hours late is flagged for supervision (Art 31.2c: "ngay sau khi").
          view.debitReportedLate = delayMinutes > limitHours * 60;
          if (view.debitReportedLate) record('debitReportedLate', input.actor, `debit reported ${delayMinutes} minutes after it happened (limit ${limitHours} h)`, { debitedAt, reportedAt: now, delayMinutes, limitHours });
        }
        if (late) {
          // The money has left the payer: the payment goes on as paid (project rule, README).
          view.debitedAfterExpiry = true;
          view.endReason = undefined;
          await sla.cancel('lateDebit', 'late debit reported');
        } else {
          await sla.complete('payerPays', actorCode(input.actor));
        }
        // Art 33.4a: the transfer to the beneficiary account is due T+1 (T = the debit day).
        const clock = await sla.start({
          key: 'settlement', ...sla.period('payment.settlement'), owner: input.actor.bank ?? '', ownerKind: 'bank', stage: 'debited',
          step: 'Transfer the payment to the beneficiary account (T+1)', stepVi: 'Chuyển tiền vào tài khoản thụ hưởng (T+1)', from: debitedAt,
        });
        view.settlementDueAt = clock.dueAt;
        const buffered = bufferedReceipt;
        if (buffered) await acceptReceipt(buffered);
        await publish();
        // Art 31.2c: the status reaches the Portal and the agency at once; the dossier continues on
        // the signed receipt (Art 31.2d), which follows.
        await sendNotification({
          key: `${paymentId}:debited:portal`, workflowId: paymentId, channel: 'portal', recipient: request.agency, template: 'payment.debited',
          subjectVi: `Hồ sơ ${request.dossierCode}: đã thanh toán ${request.amount} VND${late ? ' (sau khi yêu cầu thanh toán hết hạn)' : ''}`,
          subject: `Dossier ${request.dossierCode}: payment of ${request.amount} VND received${late ? ' (after the request expired)' : ''}`,
          bodyVi: signedReceipts
            ? `Người nộp đã bị trừ tiền qua ngân hàng ${view.payerBank} (mã giao dịch ${input.bankTxnRef}). Cơ quan tiếp tục giải quyết hồ sơ khi nhận chứng từ nộp ngân sách nhà nước có chữ ký số của ngân hàng.`
            : `Người nộp đã bị trừ tiền qua ngân hàng ${view.payerBank} (mã giao dịch ${input.bankTxnRef}). Cơ quan tiếp tục giải quyết hồ sơ.`,
          body: signedReceipts
            ? `The payer was debited through bank ${view.payerBank} (transaction ${input.bankTxnRef}). The agency continues the dossier on the bank's signed receipt.`
            : `The payer was debited through bank ${view.payerBank} (transaction ${input.bankTxnRef}). The agency may continue the dossier.`,
          data: { paymentId, bankTxnRef: input.bankTxnRef, amount: request.amount },
        });
        if (buffered && signedReceipts) await deliverReceipt();
      }),
    {
      validator: (input) => {
        validateCallback('debit', input, ['awaitingDebit', 'debited', 'settled', 'expired']);
        if (view.status === 'expired' && !lateDebitOpen()) refuse('InvalidTransition', 'debit: the payment expired and its late-debit window has closed; reconciliation refunds the debit (Art 34.6a)');
        if (callbacks.has(input.callbackId)) return;
        if (!input.bankTxnRef) refuse('Validation', 'bankTxnRef is required');
        if (view.bankTxnRef && view.bankTxnRef !== input.bankTxnRef) {
          refuse('InvalidTransition', `payment already debited under transaction ${view.bankTxnRef}; a second debit is a duplicate payment for reconciliation and refund (Art 34.6a)`);
        }
        if (!view.bankTxnRef && input.amount !== request.amount) refuse('Refused', `debit amount ${input.amount} VND differs from the requested ${request.amount} VND`);
        if (signedReceipts && !view.bankTxnRef) {
          validateAgainstBufferedReceipt(input.bankTxnRef);
          validateDebitTime(input.debitedAt);
        }
      },
    },
  );

  /** Art 33.4a: the debit time is the bank's, but never in the future nor before the request existed. */
  const validateDebitTime = (debitedAt: string | undefined) => {
    if (!debitedAt) refuse('Validation', 'debitedAt is required: T of Art 33.4a is the day the payer was debited');
    const at = Date.parse(debitedAt!);
    if (Number.isNaN(at)) refuse('Validation', 'debitedAt must be an ISO 8601 instant');
    if (at > Date.now() + CLOCK_SKEW_MS) refuse('Refused', `debitedAt ${debitedAt} is after the report (${new Date().toISOString()}): a debit cannot be reported before it happens`);
    if (at < Date.parse(view.createdAt) - CLOCK_SKEW_MS) refuse('Refused', `debitedAt ${debitedAt} is before the payment request was registered (${view.createdAt})`);
    // A receipt that came first signed the debit: the debit report must agree with it.
    const signed = bufferedReceipt?.verified;
    if (signed && Date.parse(signed.debitedAt) !== at) refuse('Refused', `debitedAt ${debitedAt} contradicts the bank's signed receipt (${signed.debitedAt})`);
  };
  const validateAgainstBufferedReceipt = (bankTxnRef: string) => {
    const signed = bufferedReceipt?.verified;
    if (signed && signed.bankTxnRef !== bankTxnRef) refuse('Refused', `debit ${bankTxnRef} contradicts the bank's signed receipt (transaction ${signed.bankTxnRef})`);
  };

  const acceptReceipt = async (input: ReceiptCallback) => {
    const receipt = receiptOf(input)!;
    const bank = input.actor.bank ?? '';
    await storePaymentReceipt({ paymentId, bank, receipt });
    view.receipt = { ...receipt, bank };
    record('receiptIssued', input.actor, undefined, {
      receiptNo: receipt.receiptNo, signer: receipt.signature.signer, algorithm: receipt.signature.algorithm,
      ...(receipt.verification ? { certFingerprint: receipt.verification.certFingerprint, documentSha256: receipt.verification.documentSha256 } : {}),
    });
    bufferedReceipt = undefined;
  };

  /**
   * Art 31.2c–d: the signed receipt goes to the agency (its Portal inbox: it continues the dossier
   * on it) and to the payer (e-mail, when the Portal gave one; otherwise the Portal shows it).
   */
  const deliverReceipt = async () => {
    const r = view.receipt!;
    const data = { paymentId, receiptNo: r.receiptNo, bank: r.bank, bankTxnRef: view.bankTxnRef, amount: request.amount, documentSha256: r.verification?.documentSha256, receiptPath: `/v1/payments/${paymentId}/receipt` };
    await sendNotification({
      key: `${paymentId}:receipt:portal`, workflowId: paymentId, channel: 'portal', recipient: request.agency, template: 'payment.receipt',
      subjectVi: `Hồ sơ ${request.dossierCode}: chứng từ nộp ngân sách nhà nước số ${r.receiptNo}`,
      subject: `Dossier ${request.dossierCode}: signed payment receipt ${r.receiptNo}`,
      bodyVi: `Ngân hàng ${r.bank} đã gửi chứng từ nộp ngân sách nhà nước có chữ ký số (đã xác minh) cho khoản ${request.amount} VND. Cơ quan thực hiện các bước tiếp theo giải quyết hồ sơ (Điều 31.2đ).`,
      body: `Bank ${r.bank} sent the digitally signed payment receipt (verified) for ${request.amount} VND. The agency continues the dossier (Art 31.2d).`,
      data,
    });
    if (payerEmail) {
      await sendNotification({
        key: `${paymentId}:receipt:email`, workflowId: paymentId, channel: 'email', recipient: payerEmail, recipientKind: 'citizen', template: 'payment.receipt',
        subjectVi: `Chứng từ nộp ngân sách nhà nước số ${r.receiptNo} (hồ sơ ${request.dossierCode})`,
        subject: `Payment receipt ${r.receiptNo} (dossier ${request.dossierCode})`,
        bodyVi: `Khoản thanh toán ${request.amount} VND qua ngân hàng ${r.bank} đã được ghi nhận. Chứng từ có chữ ký số của ngân hàng được đính kèm.`,
        body: `Your payment of ${request.amount} VND through bank ${r.bank} is recorded. The bank's digitally signed receipt is attached.`,
        data: { ...data, document: r.document },
      });
    }
  };

  /** Art 31.2c–d: the payment ends settled once the money is transferred and the receipt verified (or excepted by VPCP). */
  const settleIfComplete = (actor: ActorRef) => {
    if (!view.settlement || view.status === 'settled' || !(view.receipt?.verification || view.receiptException)) return;
    setStatus('settled');
    record('settled', actor, undefined, { transferRef: view.settlement.transferRef, ...(view.receiptException ? { receiptException: true } : {}) });
  };

  setHandler(
    reportReceiptUpdate,
    (input) =>
      handleCallback('receipt', input, async () => {
        if (view.receipt) return;
        if (view.status === 'awaitingDebit' || view.status === 'expired') {
          bufferedReceipt = input;
          return { receiptBuffered: true };
        }
        await acceptReceipt(input);
        if (signedReceipts) settleIfComplete(input.actor);
        await publish();
        if (signedReceipts) await deliverReceipt();
      }),
    {
      validator: (input) => {
        validateCallback('receipt', input, ['awaitingDebit', 'debited', 'settled', 'expired']);
        if (view.status === 'expired' && !lateDebitOpen()) refuse('InvalidTransition', 'receipt: the payment expired without a debit');
        if (callbacks.has(input.callbackId)) return;
        if (!signedReceipts) {
          if (!receiptOf(input)) refuse('Validation', 'a receipt needs receiptNo, issuedAt, document and signature {signer, algorithm, value, signedAt}');
          return;
        }
        // Art 31.2c: only a receipt whose signature the API verified against the bank's registered
        // certificate enters the case, and what it signs must be this payment's debit.
        const v = input.verified;
        if (!v || !input.document) refuse('Refused', "receipt: the bank's signature was not verified");
        if (v!.paymentId !== paymentId) refuse('Refused', `receipt: the signed receipt is for payment ${v!.paymentId}, not ${paymentId}`);
        if (v!.bank !== view.payerBank) refuse('Refused', `receipt: the signed receipt names bank ${v!.bank}, not the payer's bank ${view.payerBank ?? '?'}`);
        if (v!.amount !== request.amount) refuse('Refused', `receipt: the signed amount ${v!.amount} VND differs from the payment's ${request.amount} VND`);
        if (view.bankTxnRef && v!.bankTxnRef !== view.bankTxnRef) refuse('Refused', `receipt: the signed transaction ${v!.bankTxnRef} is not the reported debit ${view.bankTxnRef}`);
        if (view.bankTxnRef && view.debitReportedAt && Date.parse(v!.debitedAt) !== Date.parse(view.debitedAt!)) {
          refuse('Refused', `receipt: the signed debit time ${v!.debitedAt} differs from the reported ${view.debitedAt}`);
        }
      },
    },
  );

  setHandler(
    reportSettlementUpdate,
    (input) =>
      handleCallback('settlement', input, async () => {
        if (view.settlement) return;
        const settledAt = new Date().toISOString();
        const clock = await sla.complete('settlement', actorCode(input.actor));
        const dueAt = clock?.dueAt ?? view.settlementDueAt ?? settledAt;
        const breached = clock?.outcome === 'breached';
        const delay = breached ? await measureSettlementDelay({ dueAt, settledAt }) : { workingDaysLate: 0, calendarDaysLate: 0 };
        view.settlement = { transferRef: input.transferRef, settledAt, dueAt, breached, workingDaysLate: delay.workingDaysLate, calendarDaysLate: delay.calendarDaysLate };
        view.settlementBreached = breached;
        if (signedReceipts) {
          record('transferred', input.actor, undefined, { transferRef: input.transferRef, amount: input.amount, ...(breached ? { workingDaysLate: delay.workingDaysLate } : {}) });
          settleIfComplete(input.actor);
        } else {
          setStatus('settled');
          record('settled', input.actor, undefined, { transferRef: input.transferRef, amount: input.amount, ...(breached ? { workingDaysLate: delay.workingDaysLate } : {}) });
        }
        await publish();
        if (view.status !== 'settled') return { awaitingReceipt: true };
      }),
    {
      validator: (input) => {
        // Settlement before the debit is refused, not buffered: the bank retries after reporting the debit.
        validateCallback('settlement', input, ['debited', 'settled']);
        if (callbacks.has(input.callbackId)) return;
        if (!input.transferRef) refuse('Validation', 'transferRef is required');
        if (input.amount !== request.amount) refuse('Refused', `settlement amount ${input.amount} VND differs from the payment's ${request.amount} VND`);
      },
    },
  );

  setHandler(
    recordReceiptExceptionUpdate,
    ({ reason, actor }) =>
      gate.run('receiptException', async () => {
        view.receiptException = { reason, by: actorCode(actor), at: new Date().toISOString() };
        record('receiptException', actor, reason);
        settleIfComplete(actor);
        await publish();
        await sendNotification({
          key: `${paymentId}:receipt-exception:portal`, workflowId: paymentId, channel: 'portal', recipient: request.agency, template: 'payment.receiptException',
          subjectVi: `Hồ sơ ${request.dossierCode}: Văn phòng Chính phủ ghi nhận ngoại lệ về chứng từ thanh toán`,
          subject: `Dossier ${request.dossierCode}: VPCP recorded a payment receipt exception`,
          bodyVi: `Khoản thanh toán ${request.amount} VND được hoàn tất không có chứng từ có chữ ký số đã xác minh. Lý do: ${reason}`,
          body: `The payment of ${request.amount} VND completes without a verified signed receipt. Reason: ${reason}`,
          data: { paymentId, reason },
        });
        return { ...view, actions: [...actions] };
      }),
    {
      validator: ({ reason, actor }) => {
        gate.assertFree('receiptException');
        requireRole(actor, ['vpcp'], 'record a receipt exception');
        if (!reason?.trim()) refuse('Validation', 'a reason is required for a receipt exception');
        if (!signedReceipts) refuse('InvalidTransition', 'this payment predates verified receipts: it settles without one');
        if (view.receipt?.verification) refuse('InvalidTransition', 'the payment already has a verified receipt');
        if (view.receiptException) refuse('InvalidTransition', 'a receipt exception is already recorded');
        if (view.status !== 'debited') refuse('InvalidTransition', `a receipt exception applies to a debited payment (payment is ${view.status})`);
      },
    },
  );

  setHandler(
    reportFailureUpdate,
    (input) =>
      handleCallback('failure', input, async () => {
        record('failed', input.actor, input.reason);
        await end('failed', input.reason);
        await publish();
      }),
    {
      validator: (input) => {
        validateCallback('failure', input, ['awaitingDebit', 'failed']);
        if (callbacks.has(input.callbackId)) return;
        if (!input.reason) refuse('Validation', 'reason is required');
        if (view.status === 'failed') refuse('InvalidTransition', 'the payment has already failed');
      },
    },
  );

  record('registered', request.actor, undefined, { amount: request.amount, feeTypeCode: request.feeTypeCode });
  await publish();
  // Project rule: a request nobody pays expires (default 3 calendar days); the wait is on the payer.
  await sla.start({
    key: 'payerPays', article: 'project rule', owner: 'payer', ownerKind: 'citizen', amount: request.expiryDays ?? DEFAULT_EXPIRY_DAYS, unit: 'calendarDays',
    stage: 'awaitingPayer', step: 'The payer pays the request', stepVi: 'Người nộp thực hiện thanh toán',
  });

  const payerExpired = () => sla.get('payerPays')?.outcome === 'breached';
  await condition(() => view.status === 'debited' || !isOpen() || (payerExpired() && !gate.busy));
  if (view.status === 'awaitingPayer' || view.status === 'awaitingDebit') {
    const bankChosen = view.status === 'awaitingDebit';
    lateDebitWindow = bankChosen;
    record('expired', request.actor, 'no debit before the payment request expired');
    await end('expired', 'no debit before the payment request expired');
    await publish();
    if (bankChosen) {
      // Project rule: a debit made at the last moment may be reported after the expiry. Until the
      // end of the next working day the late debit is still accepted (the payment goes on as paid);
      // after that, reconciliation finds it (statusMismatch) and refunds it (Art 34.6a).
      // Counted from the expiry instant (the end of the payer's last day), not from when the timer's
      // clean-up finished a moment later — which is already the next local day.
      await sla.start({
        key: 'lateDebit', article: 'project rule (Art 31.2c)', owner: 'payer', ownerKind: 'citizen', amount: LATE_DEBIT_WORKING_DAYS, unit: 'workingDays',
        stage: 'expired', step: 'A late debit report is still accepted', stepVi: 'Ngân hàng còn được báo giao dịch trừ tiền muộn', from: sla.get('payerPays')?.dueAt,
      });
      await condition(() => view.status === 'debited' || (!lateDebitOpen() && !gate.busy));
      // A late debit reported while the window's clock was still starting: the window is moot.
      if ((view.status as PaymentStatus) === 'debited') await sla.cancel('lateDebit', 'late debit reported');
    }
  }

  if (view.status === 'debited') {
    // The debit handler may still be starting the T+1 clock.
    await condition(() => sla.get('settlement') !== undefined);
    if (await sla.breached('settlement')) {
      // Flagged: the bank missed T+1; the case stays open for the late transfer (penalty, Art 33.4a).
      view.settlementBreached = true;
      await publish();
    }
    await condition(() => view.status === 'settled');
  }
  await condition(allHandlersFinished);
  // A cancellation that came while the first clock was still starting found no clock to cancel:
  // an ended payment keeps no open clock.
  if (patched(CLOSE_OPEN_CLOCKS_AT_END) && !isOpen()) await sla.cancelAll(`payment ${view.status}`);
  return { ...view, actions: [...actions] };
}
