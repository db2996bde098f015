import { allHandlersFinished, condition, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { shortActivity } from './activity-options.js';
import { ActionGate, actorCode, refuse, requireRole, type ActorRef } from './actors.js';
import {
  REFUND_PROCESS, closeUnfoundedRefundUpdate, decideRefundUpdate, payRefundUpdate, refundQuery, refundRecord, startedRefundView,
  type RefundInput, type RefundStatus, type RefundView,
} from './refund.definitions.js';
import { SlaTracker } from './sla.js';

const { projectRefund, recordRefundPayout, sendNotification } = proxyActivities<ReturnType<typeof createActivities>>(shortActivity);

const END_STATES: readonly RefundStatus[] = ['refunded', 'rejected', 'alreadyRefunded'];

/** Patch id (README, versioning rule): histories from before the fix replay on the old path. */
const FINDING_AFTER_CLOCK = 'refund-finding-waits-for-investigate-clock';

/**
 * Refund to a payer (Art 34.6). Found by reconciliation (duplicate or over-payment): the bank
 * refunds (34.6a). Asked by the payer: the bank investigates (34.6b) — its own fault, it refunds;
 * the agency's, the case goes to the agency, which refunds with the bank or Treasury; unfounded,
 * it is rejected. Started by the agency (34.6c): the agency refunds. A reconciliation refund whose
 * difference a corrected statement disproved is closed as unfounded by the bank or VPCP. The
 * payout is recorded exactly once (workflow state + unique keys).
 */
export async function refundWorkflow(input: RefundInput): Promise<RefundView> {
  const refundId = workflowInfo().workflowId;
  const sla = new SlaTracker({ process: REFUND_PROCESS, agency: input.agency, initialStage: 'started', ruleSet: input.ruleSet ?? null });
  // The same first state the API lands as the projection's revision 0 (read your writes).
  const view: RefundView = startedRefundView(refundId, input, new Date().toISOString());
  const { actions } = view;
  const startedBy = input.actor;
  let revision = 0;
  /** One action at a time: a validator refuses while another handler awaits its activities. */
  const gate = new ActionGate();
  // A bank's finding that arrived while the investigate clock was being started (its deadline is an
  // activity) completed nothing, and the clock then started and stayed pending past the case's end
  // (found by the chaos suite). Now the finding waits until the case has started its clocks.
  const findingWaitsForClock = patched(FINDING_AFTER_CLOCK);
  let clocksStarted = false;

  const record = (action: string, actor: ActorRef, note?: string, data?: Record<string, unknown>) =>
    actions.push({ seq: actions.length + 1, action, actor, at: new Date().toISOString(), ...(note ? { note } : {}), ...(data ? { data } : {}) });
  const snapshot = (): RefundView => ({ ...view, actions: [...actions] });
  const publish = async () => {
    revision += 1;
    sla.setStage(view.status);
    await projectRefund(refundRecord(view, revision));
  };
  /** The party that must act now: the bank, or the agency once the case is routed to it. */
  const responsibleCode = () => (view.responsibleKind === 'bank' ? view.bank : view.agency);
  const isResponsible = (actor: ActorRef) =>
    view.responsibleKind === 'bank' ? actor.role === 'bank' && actor.bank === view.bank : actor.role === 'agency' && actor.agency === view.agency;

  setHandler(refundQuery, snapshot);

  setHandler(
    decideRefundUpdate,
    ({ finding, note, actor }) => gate.run('decide', async () => {
      if (findingWaitsForClock) await condition(() => clocksStarted);
      view.finding = finding;
      record('investigated', actor, note, { finding });
      await sla.complete('investigate', actorCode(actor));
      if (finding === 'unfounded') {
        view.status = 'rejected';
      } else {
        view.status = 'awaitingRefund';
        view.responsibleKind = finding === 'bankFault' ? 'bank' : 'agency';
      }
      await publish();
      if (finding === 'agencyFault') {
        await sendNotification({
          key: `${refundId}:routed:portal`, workflowId: refundId, channel: 'portal', recipient: view.agency, template: 'refund.routed',
          subjectVi: `Đề nghị hoàn trả tiền thanh toán ${view.paymentId} chuyển cơ quan xử lý`,
          subject: `Refund request for payment ${view.paymentId} routed to the agency`,
          bodyVi: `Ngân hàng ${view.bank} xác định trách nhiệm hoàn trả ${view.amount} VND thuộc cơ quan (Điều 34.6b). Ghi chú: ${note}`,
          body: `Bank ${view.bank} found the refund of ${view.amount} VND to be the agency's responsibility (Art 34.6b). Note: ${note}`,
          data: { refundId, paymentId: view.paymentId },
        });
      }
      return snapshot();
    }),
    {
      validator: ({ finding, note, actor }) => {
        gate.assertFree('decide');
        requireRole(actor, ['bank'], 'decide a refund request');
        if (actor.bank !== view.bank) refuse('Forbidden', `bank ${actor.bank ?? '?'} is not the bank of this payment`);
        if (view.status !== 'investigating') refuse('InvalidTransition', `the refund is ${view.status}, not under investigation`);
        if (!['bankFault', 'agencyFault', 'unfounded'].includes(finding)) refuse('Validation', 'finding must be bankFault, agencyFault or unfounded');
        if (!note) refuse('Validation', 'a note explaining the finding is required');
      },
    },
  );

  setHandler(
    payRefundUpdate,
    ({ payoutRef, actor }) => gate.run('payout', async () => {
      const paidAt = new Date().toISOString();
      const outcome = await recordRefundPayout({
        refundId, paymentId: view.paymentId, bankTxnRef: view.bankTxnRef, amount: view.amount,
        paidByKind: view.responsibleKind, paidBy: responsibleCode(), payoutRef, paidAt,
      });
      if (outcome.outcome === 'debitAlreadyRefunded') {
        view.status = 'alreadyRefunded';
        view.refundedBy = outcome.byRefund;
        record('alreadyRefunded', actor, `debit ${view.bankTxnRef} was already refunded by ${outcome.byRefund}`);
      } else {
        view.status = 'refunded';
        view.payout = { payoutRef: outcome.payoutRef, paidAt: outcome.paidAt, paidBy: responsibleCode() };
        record('refunded', actor, undefined, { payoutRef: outcome.payoutRef, amount: view.amount });
      }
      await publish();
      return snapshot();
    }),
    {
      validator: ({ payoutRef, actor }) => {
        gate.assertFree('payout');
        requireRole(actor, ['bank', 'agency'], 'record a refund payout');
        if (!payoutRef) refuse('Validation', 'payoutRef is required');
        // Workflow state: a refunded case refuses a second payout before any activity runs.
        if (view.status !== 'awaitingRefund') refuse('InvalidTransition', `the refund is ${view.status}; it can be paid once`);
        if (!isResponsible(actor)) refuse('Forbidden', `${actorCode(actor)} is not responsible for this refund (${view.responsibleKind} ${responsibleCode()} is)`);
      },
    },
  );

  setHandler(
    closeUnfoundedRefundUpdate,
    ({ reason, actor }) => gate.run('closeUnfounded', async () => {
      view.status = 'rejected';
      view.finding = 'unfounded';
      record('closedUnfounded', actor, reason);
      await publish();
      return snapshot();
    }),
    {
      validator: ({ reason, actor }) => {
        gate.assertFree('closeUnfounded');
        requireRole(actor, ['bank', 'vpcp'], 'close a refund as unfounded');
        if (actor.role === 'bank' && actor.bank !== view.bank) refuse('Forbidden', `bank ${actor.bank ?? '?'} is not the bank of this payment`);
        if (view.origin !== 'reconciliation') refuse('InvalidTransition', `a ${view.origin} refund is not closed this way (a payer's request is decided by the bank, Art 34.6b)`);
        if (view.status !== 'awaitingRefund') refuse('InvalidTransition', `the refund is ${view.status}; only an unpaid refund can be closed as unfounded`);
        if (!reason) refuse('Validation', 'a reason is required');
      },
    },
  );

  record('requested', startedBy, input.reason, { amount: input.amount, origin: input.origin });
  await publish();
  if (view.status === 'investigating') {
    // Art 34.6b gives no period; project rule: like any difference, by the end of the next working day (Art 34.5).
    await sla.start({
      key: 'investigate', ...sla.period('refund.investigate'), owner: view.bank, ownerKind: 'bank',
      stage: 'investigating', step: 'Investigate the refund request', stepVi: 'Tra soát đề nghị hoàn trả',
    });
  }
  clocksStarted = true;
  await condition(() => END_STATES.includes(view.status));
  await condition(allHandlersFinished);
  return snapshot();
}
