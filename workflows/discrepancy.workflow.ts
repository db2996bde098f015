import { allHandlersFinished, condition, ParentClosePolicy, proxyActivities, setHandler, startChild, workflowInfo, WorkflowIdReusePolicy } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { shortActivity } from './activity-options.js';
import { ActionGate, actorCode, refuse, requireRole, type ActionRecord, type ActorRef } from './actors.js';
import {
  DISCREPANCY_PROCESS,
  differenceChanged,
  differenceRevisitedSignal,
  discrepancyQuery,
  recordDiscrepancyCauseUpdate,
  resolveDiscrepancyUpdate,
  type DiscrepancyCase,
  type DiscrepancyView,
} from './discrepancy.definitions.js';
import { refundWorkflowId, type RefundInput } from './refund.definitions.js';
import { refundWorkflow } from './refund.workflow.js';
import { SlaTracker } from './sla.js';
import type { SlaClock } from './sla.definitions.js';

const { projectDiscrepancy } = proxyActivities<ReturnType<typeof createActivities>>(shortActivity);

/** The reconciliation system itself, as the actor that opens cases it found. */
const SYSTEM: ActorRef = { userId: 'system:reconciliation', role: 'vpcp' };

/**
 * What must be refunded for a difference (Art 34.6a): a second successful debit in full, what
 * the bank took above the Portal's amount, or a debit the bank made for a payment the Portal
 * records as not paid (expired, failed, cancelled: a late debit, project rule). Nothing for other kinds.
 */
export function refundFor(d: DiscrepancyCase): number {
  if (d.kind === 'duplicate' && d.ownerKind === 'bank') return d.bankAmount ?? 0;
  if (d.kind === 'statusMismatch' && d.ownerKind === 'bank' && d.portalStatus === 'failed' && d.bankStatus === 'success') return d.bankAmount ?? 0;
  if (d.kind === 'amountMismatch' && d.ownerKind === 'bank' && d.bankAmount !== undefined && d.portalAmount !== undefined) {
    return Math.max(0, d.bankAmount - d.portalAmount);
  }
  return 0;
}

/**
 * One difference found by reconciliation (Art 34.5): an owner (bank or agency) and a clock to the
 * end of the next working day; either party records the cause, the owner records the resolution;
 * an unresolved one breaches and stays open for the late resolution. Duplicates and over-payments
 * also start the bank's refund (Art 34.6a).
 */
export async function discrepancyWorkflow(input: DiscrepancyCase): Promise<DiscrepancyView> {
  const sla = new SlaTracker({ process: DISCREPANCY_PROCESS, agency: input.agency, initialStage: 'open' });
  const actions: ActionRecord[] = [];
  const view: DiscrepancyView = { ...input, status: 'open', breached: false, detectedAt: new Date().toISOString(), actions };
  let revision = 0;
  /** One action at a time: a validator refuses while another handler awaits its activities. */
  const gate = new ActionGate();

  const record = (action: string, actor: ActorRef, note?: string) =>
    actions.push({ seq: actions.length + 1, action, actor, at: new Date().toISOString(), ...(note ? { note } : {}) });
  const snapshot = (): DiscrepancyView => ({ ...view, actions: [...actions] });
  const publish = async () => {
    revision += 1;
    const { actions: _a, bankTxnRef: _r, portalStatus: _ps, bankStatus: _bs, ...row } = view;
    await projectDiscrepancy({ ...row, revision });
  };
  /** The two parties of the pair, and VPCP as supervisor. */
  const isParty = (actor: ActorRef) =>
    actor.role === 'vpcp' || (actor.role === 'bank' && actor.bank === input.bank) || (actor.role === 'agency' && actor.agency === input.agency);
  // The owner as the case holds it now: a re-run may hand the difference to the other party.
  const isOwner = (actor: ActorRef) => (view.ownerKind === 'bank' ? actor.role === 'bank' && actor.bank === view.owner : actor.role === 'agency' && actor.agency === view.owner);
  const startClock = (owner: string, ownerKind: DiscrepancyCase['ownerKind']) =>
    sla.start({
      key: 'resolve', ...sla.period('discrepancy.resolve'), owner, ownerKind, stage: 'open',
      step: 'Investigate and settle the reconciliation difference', stepVi: 'Tìm hiểu nguyên nhân và xử lý dứt điểm chênh lệch đối soát',
    });

  setHandler(discrepancyQuery, snapshot);
  setHandler(
    recordDiscrepancyCauseUpdate,
    ({ cause, actor }) =>
      gate.run('recordCause', async () => {
        view.cause = cause;
        record('causeRecorded', actor, cause);
        await publish();
        return snapshot();
      }),
    {
      validator: ({ cause, actor }) => {
        gate.assertFree('recordCause');
        requireRole(actor, ['bank', 'agency', 'vpcp'], 'record the cause of a difference');
        if (!isParty(actor)) refuse('Forbidden', `${actorCode(actor)} is not a party to this difference (${input.agency} × ${input.bank})`);
        if (!cause) refuse('Validation', 'cause is required');
        if (view.status !== 'open') refuse('InvalidTransition', 'the difference is already resolved');
      },
    },
  );
  setHandler(
    resolveDiscrepancyUpdate,
    ({ resolution, actor }) =>
      gate.run('resolve', async () => {
        view.status = 'resolved';
        view.resolution = resolution;
        view.resolvedAt = new Date().toISOString();
        record('resolved', actor, resolution);
        const clock = await sla.complete('resolve', actorCode(actor));
        view.breached = clock?.outcome === 'breached';
        sla.setStage('resolved');
        await publish();
        return snapshot();
      }),
    {
      validator: ({ resolution, actor }) => {
        gate.assertFree('resolve');
        requireRole(actor, ['bank', 'agency'], 'resolve a difference');
        if (!isOwner(actor)) refuse('Forbidden', `only the owner ${view.ownerKind} ${view.owner} resolves this difference`);
        if (!resolution) refuse('Validation', 'resolution is required');
        if (view.status !== 'open') refuse('InvalidTransition', 'the difference is already resolved');
      },
    },
  );

  // A re-run of the day (corrected or late upload, Art 34.5): a difference that has disappeared is
  // settled by that correction (its clock met, or late if past due); a changed one is recorded, and
  // handed with a new clock to a new owner when the odd one out is now the other party.
  setHandler(differenceRevisitedSignal, async ({ current, reason }) => {
    await condition(() => !gate.busy);
    if (view.status !== 'open') return;
    if (current && (current.id !== workflowInfo().workflowId || !differenceChanged(view, current))) return;
    await gate.run('revisit', async () => {
      if (!current) {
        view.status = 'resolved';
        view.resolution = reason;
        view.resolvedAt = new Date().toISOString();
        // A refund this difference started stays for its bank (or VPCP) to close as unfounded (Art 34.6).
        record('differenceGone', SYSTEM, view.refundId ? `${reason}; refund ${view.refundId} may be closed as unfounded` : reason);
        const done = await sla.complete('resolve', SYSTEM.userId);
        view.breached = view.breached || done?.outcome === 'breached';
        sla.setStage('resolved');
      } else {
        const from = `${view.kind} (${view.ownerKind} ${view.owner})`;
        const refundBefore = refundFor(view);
        const newOwner = current.ownerKind !== view.ownerKind || current.owner !== view.owner;
        const { id: _id, alreadyOpened: _o, txnDate: _d, ...now } = current;
        Object.assign(view, now);
        // A refund already started keeps its amount: the note tells its bank what the difference calls for now.
        const refundNote = view.refundId && refundFor(view) !== refundBefore ? `; refund ${view.refundId} was started for ${refundBefore} VND, the difference now calls for ${refundFor(view)} VND` : '';
        record('differenceChanged', SYSTEM, `${reason}: ${from} → ${current.kind} (${current.ownerKind} ${current.owner})${refundNote}`);
        if (newOwner) {
          await sla.cancel('resolve', `re-run: the difference is now ${current.ownerKind} ${current.owner}'s`);
          view.dueAt = (await startClock(current.owner, current.ownerKind)).dueAt;
        }
      }
      await publish();
    });
  });

  record('detected', SYSTEM, `${input.kind} on ${input.txnDate}`);
  // Started by reconciliation, not the API: the rule set in force now is read here (histories from before: the baseline).
  await sla.pinAtStart();
  // Art 34.5 / 35.6: investigated and settled no later than the next working day.
  const clock = await startClock(input.owner, input.ownerKind);
  view.dueAt = clock.dueAt;

  const amount = refundFor(input);
  if (amount > 0 && input.bankTxnRef) {
    const refund: RefundInput = {
      origin: 'reconciliation', paymentId: input.paymentId, agency: input.agency, bank: input.bank, bankTxnRef: input.bankTxnRef, amount,
      reason: input.kind === 'duplicate' ? 'duplicate payment (Art 34.6a)' : input.kind === 'statusMismatch' ? 'debit of a payment the Portal records as unpaid, e.g. after expiry (Art 34.6a)' : 'over-payment (Art 34.6a)', discrepancyId: workflowInfo().workflowId, actor: SYSTEM,
    };
    const refundId = refundWorkflowId(refund);
    await startChild(refundWorkflow, {
      workflowId: refundId, args: [refund], parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    view.refundId = refundId;
    record('refundStarted', SYSTEM, `${amount} VND`);
  }
  await publish();

  // A breach of the case's clock (of each clock, when a re-run handed the case to a new owner) flags the case.
  let flagged: SlaClock | undefined;
  for (;;) {
    const current = sla.get('resolve');
    await condition(() => view.status === 'resolved' || sla.get('resolve') !== current || (current !== flagged && current?.outcome === 'breached'));
    if (current && current !== flagged && current.outcome === 'breached' && sla.get('resolve') === current) {
      flagged = current;
      view.breached = true;
      await publish();
    }
    if (view.status === 'resolved') break;
  }
  await condition(allHandlersFinished);
  return snapshot();
}
