import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import { vietnamDateTime } from '../domain/calendar/local-time.js';
import type { createActivities } from '../activities/index.js';
import { batchActivity, shortActivity } from './activity-options.js';
import { ActionGate, actorCode, refuse, requireRole, type ActionRecord, type ActorRef } from './actors.js';
import { SlaTracker } from './sla.js';
import type { ClockSpec } from './sla.definitions.js';
import {
  ACCOUNT_CLOCK_OWNER,
  ACCOUNT_PROCESS,
  acceptAccountUpdate,
  accountClockKeys,
  accountIssueStateQuery,
  FINAL_ACCOUNT_ISSUE_STATUSES,
  notifyPartiesAccountUpdate,
  resolveAccountUpdate,
  type AccountIssueAction,
  type AccountIssueOutcome,
  type AccountIssueState,
  type AccountIssueStatus,
  type AccountIssueView,
  type AccountIssueWorkflowInput,
  type InactivitySweepInput,
  type InactivitySweepTotals,
} from './account.definitions.js';

const { recordAccountIssue, sendNotification } = proxyActivities<ReturnType<typeof createActivities>>(shortActivity);
const { runInactivityStep } = proxyActivities<ReturnType<typeof createActivities>>(batchActivity);

/** Recent actions kept in workflow state (the history keeps them all). */
const RECENT_ACTIONS = 30;
const PARTY_CODE = /^[A-Z0-9-]{2,32}$/;

const nowIso = () => new Date().toISOString();
const hasText = (s: string | undefined): s is string => typeof s === 'string' && s.trim().length > 0;

const NEXT: Record<AccountIssueStatus, AccountIssueAction[]> = {
  'received': ['notifyParties'],
  'parties-notified': ['accept'],
  'accepted': ['resolve'],
  'resolved': [],
  'rejected': [],
};

/**
 * One account issue (Art 13.1): a complaint or a report of wrong identity data about a Portal
 * account. The Portal notifies the related parties within 24 hours of receiving it and gives the
 * owner the result within 48 hours of formally accepting it — elapsed hours ("giờ"), not working
 * hours, both kept by the Portal operator (VPCP) on the shared SLA tracker.
 */
export async function accountIssueWorkflow(input: AccountIssueWorkflowInput): Promise<AccountIssueOutcome> {
  const { workflowId } = workflowInfo();
  const state: AccountIssueState = {
    caseId: input.caseId, submission: input.submission, fingerprint: input.fingerprint, submittedBy: input.submittedBy,
    status: 'received', receivedAt: input.receivedAt ?? nowIso(), parties: [], actions: [], actionSeq: 0, revision: 0,
  };
  const sla = new SlaTracker({ process: ACCOUNT_PROCESS, agency: ACCOUNT_CLOCK_OWNER, initialStage: state.status, ruleSet: input.ruleSet ?? null });
  const gate = new ActionGate();
  let intakeRecorded = false;

  const view = (): AccountIssueView => ({ ...state, workflowId, actionsAllowed: NEXT[state.status], clocks: sla.list() });
  const by = (actor: ActorRef) => `${actorCode(actor)}/${actor.userId}`;

  function note(action: string, actor: ActorRef, data?: Record<string, unknown>): ActionRecord {
    const entry: ActionRecord = { seq: ++state.actionSeq, action, actor, at: nowIso(), ...(data ? { data } : {}) };
    state.actions = [...state.actions, entry].slice(-RECENT_ACTIONS);
    state.revision += 1;
    return entry;
  }

  /** The projection (no personal data: ids, kind, channel, status, parties, instants). */
  async function persist(): Promise<void> {
    sla.setStage(state.status);
    const s = state.submission;
    await recordAccountIssue({
      caseId: state.caseId, workflowId, accountId: s.accountId, kind: s.kind, channel: s.channel, status: state.status,
      parties: state.parties, receivedAt: state.receivedAt, partiesNotifiedAt: state.partiesNotifiedAt,
      acceptedAt: state.acceptedAt, closedAt: state.closedAt, revision: state.revision,
    });
    intakeRecorded = true;
  }

  /** SMS and e-mail to the owner, once per step; a channel without a number or address is skipped. */
  async function notifyOwner(step: string, subjectVi: string, subject: string, bodyVi: string, body: string): Promise<void> {
    for (const channel of ['sms', 'email'] as const) {
      const recipient = channel === 'sms' ? state.submission.owner.phone : state.submission.owner.email;
      if (!recipient) continue;
      await sendNotification({
        key: `${workflowId}:${step}:${channel}`, workflowId, template: `account.${step}`, channel, recipient,
        subjectVi, subject, bodyVi, body, data: { caseId: state.caseId },
      });
    }
  }

  const vpcpClock = (spec: Omit<ClockSpec, 'owner' | 'ownerKind' | 'stage'>): ClockSpec =>
    ({ ...spec, owner: ACCOUNT_CLOCK_OWNER, ownerKind: 'vpcp', stage: state.status });

  function handle<I extends { actor: ActorRef }>(
    name: AccountIssueAction,
    update: UpdateDefinition<AccountIssueView, [I]>,
    validate: (i: I) => void,
    run: (i: I) => Promise<void>,
  ): void {
    setHandler(update, (i) => gate.run(name, async () => {
      await condition(() => intakeRecorded);
      await run(i);
      return view();
    }), {
      validator: (i) => {
        gate.assertFree(name);
        requireRole(i?.actor, ['vpcp'], name);
        if (!NEXT[state.status].includes(name)) refuse('InvalidTransition', `${name}: the issue is ${state.status} (allowed now: ${NEXT[state.status].join(', ') || 'none'})`);
        validate(i);
      },
    });
  }

  setHandler(accountIssueStateQuery, view);

  handle('notifyParties', notifyPartiesAccountUpdate, (i) => {
    if (!Array.isArray(i.parties) || i.parties.length === 0) refuse('Validation', 'notifyParties: at least one related party is required (Art 13.1)');
    const wrong = i.parties.filter((p) => typeof p !== 'string' || !PARTY_CODE.test(p));
    if (wrong.length > 0) refuse('Validation', `notifyParties: not a party code: ${wrong.join(', ')}`);
    if (!hasText(i.message)) refuse('Validation', 'notifyParties: the message to the parties is required');
  }, async (i) => {
    const at = nowIso();
    state.parties = [...new Set(i.parties)];
    state.partiesNotifiedAt = at;
    state.status = 'parties-notified';
    note('notifyParties', i.actor, { parties: state.parties });
    // Art 13.1: the parties are asked to coordinate; the notice names the case, never the owner.
    for (const party of state.parties) {
      await sendNotification({
        key: `${workflowId}:parties:${party}`, workflowId, template: 'account.parties', channel: 'portal', recipient: party, recipientKind: 'agency',
        subjectVi: 'Đề nghị phối hợp xử lý vấn đề tài khoản', subject: 'Please coordinate on an account issue',
        bodyVi: `Vấn đề tài khoản mã ${state.caseId} (${state.submission.kind}): ${i.message}`,
        body: `Account issue ${state.caseId} (${state.submission.kind}): ${i.message}`, data: { caseId: state.caseId },
      });
    }
    await persist();
    await sla.complete(accountClockKeys.notifyParties, by(i.actor));
  });

  handle('accept', acceptAccountUpdate, () => undefined, async (i) => {
    state.acceptedAt = nowIso();
    state.status = 'accepted';
    note('accept', i.actor);
    await persist();
    await sla.start(vpcpClock({
      key: accountClockKeys.result, ...sla.period('account.result'), from: state.acceptedAt,
      step: 'Give the account owner the result', stepVi: 'Thông báo kết quả xử lý cho chủ thể của tài khoản',
    }));
  });

  handle('resolve', resolveAccountUpdate, (i) => {
    if (i.outcome !== 'resolved' && i.outcome !== 'rejected') refuse('Validation', 'resolve: outcome must be resolved or rejected');
    if (!hasText(i.result)) refuse('Validation', 'resolve: the result told to the owner is required (Art 13.1)');
  }, async (i) => {
    state.closedAt = nowIso();
    state.status = i.outcome;
    state.result = i.result;
    note('resolve', i.actor, { outcome: i.outcome });
    await persist();
    // Art 13.1: the owner has the result when it is sent; the clock stops then.
    await notifyOwner('result', 'Kết quả xử lý vấn đề tài khoản', 'The result of your account issue',
      `Vấn đề tài khoản mã ${state.caseId}: ${i.result}`, `Account issue ${state.caseId}: ${i.result}`);
    await sla.complete(accountClockKeys.result, by(i.actor));
  });

  // ---- the case ----------------------------------------------------------------------------------

  note('submit', state.submittedBy, { channel: state.submission.channel, kind: state.submission.kind });
  await persist();
  await sla.start(vpcpClock({
    key: accountClockKeys.notifyParties, ...sla.period('account.notifyParties'), from: state.receivedAt,
    step: 'Notify the related parties', stepVi: 'Thông báo tới các bên có liên quan để phối hợp xử lý',
  }));
  // Project rule: the owner learns that the issue was received and what happens next.
  await notifyOwner('receipt', 'Đã tiếp nhận thông báo về tài khoản', 'Your account issue was received',
    `Thông báo mã ${state.caseId} đã được tiếp nhận lúc ${vietnamDateTime(state.receivedAt)}. Kết quả xử lý được gửi trong vòng 48 giờ kể từ khi tiếp nhận xử lý chính thức.`,
    `Issue ${state.caseId} was received at ${vietnamDateTime(state.receivedAt)} (UTC+7). The result is sent within 48 hours of its formal acceptance.`);

  await condition(() => FINAL_ACCOUNT_ISSUE_STATUSES.includes(state.status) && !gate.busy);
  await sla.cancelAll(`the issue is ${state.status}`);
  await condition(allHandlersFinished);
  return { caseId: state.caseId, status: state.status };
}

/**
 * The daily inactivity sweep (Art 13.2), started by a Schedule. No workflow per account: the
 * accounts whose next step is due (first notice, second notice, lock) are read by one indexed
 * query, a batch per activity call, until none is left; each call sends the notices or locks
 * and moves the accounts to their next stage, idempotently.
 */
export async function accountInactivityWorkflow(input: InactivitySweepInput = {}): Promise<InactivitySweepTotals> {
  const batchSize = input.batchSize ?? 500;
  const totals: InactivitySweepTotals = { firstNotices: 0, secondNotices: 0, locked: 0, skipped: 0, ...input.totals };
  // One instant for the whole sweep: an account is due if its step is due by the sweep's start.
  const asOf = nowIso();
  for (;;) {
    const step = await runInactivityStep({ workflowId: workflowInfo().workflowId, asOf, limit: batchSize });
    totals.firstNotices += step.firstNotices;
    totals.secondNotices += step.secondNotices;
    totals.locked += step.locked;
    totals.skipped += step.skipped;
    if (step.read < batchSize) return totals;
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof accountInactivityWorkflow>({ ...input, totals });
  }
}
