import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { shortActivity } from './activity-options.js';
import type { ActionRecord, ActorRef } from './actors.js';
import type { NoticeCheck } from './operations.definitions.js';
import type { DeadlineUnit } from '../domain/calendar/types.js';

const { computeDeadline, sendNotification } = proxyActivities<ReturnType<typeof createActivities>>(shortActivity);

/** The Portal itself acting (a timer firing, a probe failing). */
export const SYSTEM: ActorRef = { userId: 'system:operations', role: 'portal' };

/** Recent actions kept in workflow state; the full log is in `operations_actions`. */
const RECENT_ACTIONS = 30;

export const hasText = (s: string | undefined): s is string => typeof s === 'string' && s.trim().length > 0;
export const nowIso = () => new Date().toISOString();

/** The actions of one operations case: numbered, timestamped, the recent ones kept in state. */
export class ActionLog {
  constructor(private readonly state: { actions: ActionRecord[]; actionSeq: number; revision: number }) {}

  /** Records the action in state synchronously (a concurrent validator sees it); a new revision for the projection. */
  note(action: string, actor: ActorRef, text?: string, data?: Record<string, unknown>): ActionRecord {
    const seq = ++this.state.actionSeq;
    this.state.revision += 1;
    const entry: ActionRecord = { seq, action, actor, at: nowIso(), ...(text ? { note: text } : {}), ...(data ? { data } : {}) };
    this.state.actions = [...this.state.actions, entry].slice(-RECENT_ACTIONS);
    return entry;
  }
}

/**
 * A notice period (Art 50.2: 3 working days; Art 51: 5 working days) computed by the shared calendar
 * from now, recorded in history with its rule and calendar version: the requested instant gives the
 * full notice when it falls after the end of the period's last working day.
 */
export async function checkNotice(spec: { article: string; amount: number; unit: DeadlineUnit; ruleSetId: string; owner: string; requested: string }): Promise<NoticeCheck> {
  const deadline = await computeDeadline({ from: nowIso(), amount: spec.amount, unit: spec.unit, clock: 'notice', article: spec.article, owner: spec.owner });
  return {
    article: spec.article, ruleSetId: spec.ruleSetId, amount: spec.amount, dueAt: deadline.dueAt, dueLocal: deadline.dueLocal, rule: deadline.rule,
    calendarVersion: deadline.calendarVersion, explanation: deadline.explanation.summary,
    sufficient: Date.parse(spec.requested) > Date.parse(deadline.dueAt),
  };
}

/** A Portal inbox notice to an agency (or VPCP), once per step (outbox key = workflow id + step). */
export async function notifyInbox(agency: string, step: string, template: string, text: { subjectVi: string; subject: string; bodyVi: string; body: string }, data?: Record<string, unknown>): Promise<void> {
  const { workflowId } = workflowInfo();
  await sendNotification({ key: `${workflowId}:${step}:portal:${agency}`, workflowId, channel: 'portal', recipient: agency, recipientKind: 'agency', template, ...text, ...(data ? { data } : {}) });
}
