import { allHandlersFinished, condition, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { shortActivity } from './activity-options.js';
import { ActionGate, actorCode, refuse, requireAgency, requireRole, type ActionRecord, type ActorRef } from './actors.js';
import {
  PAYMENT_END_STATES,
  PAYMENT_PROCESS,
  cancelPaymentUpdate,
  callbackFingerprint,
  choosePayerBankUpdate,
  paymentQuery,
  reportDebitUpdate,
  reportFailureUpdate,
  reportReceiptUpdate,
  reportSettlementUpdate,
  vietnamDate,
  type CallbackKind,
  type CallbackResult,
  type PaymentRequest,
  type PaymentStatus,
  type PaymentView,
  type ReceiptCallback,
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
 * Online payment of a fee (Art 31–33): the agency's request → the payer picks a connected bank →
 * the bank reports the debit (Portal status and agency notified at once, Art 31.2c), the signed
 * receipt, and the transfer to the beneficiary account, due T+1 (Art 33.4a). Ends settled,
 * failed, expired or cancelled; a late settlement stays flagged (breach of the bank) until it comes.
 */
export async function paymentWorkflow(request: PaymentRequest): Promise<PaymentView> {
  const paymentId = workflowInfo().workflowId;
  const sla = new SlaTracker({ process: PAYMENT_PROCESS, agency: request.agency, initialStage: 'awaitingPayer' });
  const actions: ActionRecord[] = [];
  const callbacks = new Map<string, CallbackResult>();
  const view: PaymentView = {
    paymentId,
    agency: request.agency,
    requestRef: request.requestRef,
    dossierCode: request.dossierCode,
    feeTypeCode: request.feeTypeCode,
    amount: request.amount,
    beneficiary: request.beneficiary,
    status: 'awaitingPayer',
    settlementBreached: false,
    createdAt: new Date().toISOString(),
    actions,
    revision: 0,
  };
  /** A bank-side receipt that came before its debit (reordered callbacks): applied with the debit. */
  let bufferedReceipt: ReceiptCallback | undefined;
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
    ({ bank, actor }) =>
      gate.run('choosePayerBank', async () => {
        // The register is checked when the payer picks the bank: a suspended bank takes no new payment.
        const check = await checkBankAcceptsPayments({ bank });
        if (!check.accepts) refuse('Refused', check.reason ?? `bank ${bank} does not accept payments`);
        if (view.status !== 'awaitingPayer') refuse('InvalidTransition', `the payment is ${view.status}`);
        view.payerBank = bank;
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
        view.bankTxnRef = input.bankTxnRef;
        view.debitedAt = now;
        view.txnDate = vietnamDate(now);
        setStatus('debited');
        record(late ? 'debitedAfterExpiry' : 'debited', input.actor, undefined, { bankTxnRef: input.bankTxnRef, amount: input.amount, callbackId: input.callbackId });
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
          key: 'settlement', article: 'Art 33.4a', owner: input.actor.bank ?? '', ownerKind: 'bank', amount: 1, unit: 'settlementDay', stage: 'debited',
          step: 'Transfer the payment to the beneficiary account (T+1)', stepVi: 'Chuyển tiền vào tài khoản thụ hưởng (T+1)', from: now,
        });
        view.settlementDueAt = clock.dueAt;
        if (bufferedReceipt) await acceptReceipt(bufferedReceipt);
        await publish();
        // Art 31.2c–d: the agency learns at once, so it can continue the dossier.
        await sendNotification({
          key: `${paymentId}:debited:portal`, workflowId: paymentId, channel: 'portal', recipient: request.agency, template: 'payment.debited',
          subjectVi: `Hồ sơ ${request.dossierCode}: đã thanh toán ${request.amount} VND${late ? ' (sau khi yêu cầu thanh toán hết hạn)' : ''}`,
          subject: `Dossier ${request.dossierCode}: payment of ${request.amount} VND received${late ? ' (after the request expired)' : ''}`,
          bodyVi: `Người nộp đã bị trừ tiền qua ngân hàng ${view.payerBank} (mã giao dịch ${input.bankTxnRef}). Cơ quan tiếp tục giải quyết hồ sơ.`,
          body: `The payer was debited through bank ${view.payerBank} (transaction ${input.bankTxnRef}). The agency may continue the dossier.`,
          data: { paymentId, bankTxnRef: input.bankTxnRef, amount: request.amount },
        });
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
      },
    },
  );

  const acceptReceipt = async (input: ReceiptCallback) => {
    const { callbackId: _c, actor, ...receipt } = input;
    await storePaymentReceipt({ paymentId, bank: actor.bank ?? '', receipt });
    view.receipt = { ...receipt, bank: actor.bank ?? '' };
    record('receiptIssued', actor, undefined, { receiptNo: receipt.receiptNo, signer: receipt.signature.signer, algorithm: receipt.signature.algorithm });
    bufferedReceipt = undefined;
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
        await publish();
      }),
    {
      validator: (input) => {
        validateCallback('receipt', input, ['awaitingDebit', 'debited', 'settled', 'expired']);
        if (view.status === 'expired' && !lateDebitOpen()) refuse('InvalidTransition', 'receipt: the payment expired without a debit');
        if (callbacks.has(input.callbackId)) return;
        const s = input.signature;
        if (!input.receiptNo || !input.document || !s?.signer || !s.algorithm || !s.value || !s.signedAt || !input.issuedAt) {
          refuse('Validation', 'a receipt needs receiptNo, issuedAt, document and signature {signer, algorithm, value, signedAt}');
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
        setStatus('settled');
        record('settled', input.actor, undefined, { transferRef: input.transferRef, amount: input.amount, ...(breached ? { workingDaysLate: delay.workingDaysLate } : {}) });
        await publish();
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
      await sla.start({
        key: 'lateDebit', article: 'project rule (Art 31.2c)', owner: 'payer', ownerKind: 'citizen', amount: LATE_DEBIT_WORKING_DAYS, unit: 'workingDays',
        stage: 'expired', step: 'A late debit report is still accepted', stepVi: 'Ngân hàng còn được báo giao dịch trừ tiền muộn',
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
