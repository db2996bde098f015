/**
 * "Moves again" (issue 12.5): per kill, for every case in flight, the time from the killed part
 * being up again to the case's first new progress after that instant — whichever comes first of
 *
 * - a history event of one of the case's own workflows that shows work done after the instant
 *   (`eventTime` set by the Temporal server, strictly after it): a workflow task completed by a
 *   worker, an update accepted or completed, an activity completed, or the start of an activity
 *   attempt that went on to complete (Temporal writes `ActivityTaskStarted` only when the attempt
 *   closes, stamped with the attempt's start); a `WorkflowTaskStarted` is not progress (a Temporal
 *   restart can leave one started and delivered to no worker);
 * - an action of the case answered 2xx, or the state it waited for read (its "moves", as for the
 *   next-success figure).
 *
 * Measured from the instant the part was up when the case was then waiting (a request of its own
 * outstanding, or a workflow task or activity of one of its workflows scheduled and not closed);
 * otherwise from its next request (client think time is not recovery).
 */
import { Client, Connection } from '@temporalio/client';
// @temporalio/proto is CommonJS without static named exports: take the namespace from its default.
import proto from '@temporalio/proto';
import type * as Proto from '@temporalio/proto';
import { dvcttWorkflowId } from '../../domain/dvctt/types.js';
import { feedbackWorkflowId } from '../../workflows/feedback.definitions.js';
import { tthcDecisionWorkflowId } from '../../workflows/tthc.definitions.js';
import type { CaseRun } from './cases.js';

const { EventType } = proto.temporal.api.enums.v1;
type HistoryEvent = Proto.temporal.api.history.v1.IHistoryEvent;

const PROGRESS = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
]);

/** One event of a case's workflows, reduced to what the figure needs. */
export interface CaseEvent {
  at: number;
  type: number;
  /** Scheduled task/activity events: their own id; closing events: the id of what they close. */
  scheduledEventId: number;
}

const ms = (ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  ts ? Number(String(ts.seconds ?? 0)) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6) : 0;

function reduce(e: HistoryEvent): CaseEvent {
  const closes =
    e.workflowTaskCompletedEventAttributes?.scheduledEventId ?? e.workflowTaskTimedOutEventAttributes?.scheduledEventId ?? e.workflowTaskFailedEventAttributes?.scheduledEventId ??
    e.activityTaskCompletedEventAttributes?.scheduledEventId ?? e.activityTaskFailedEventAttributes?.scheduledEventId ??
    e.activityTaskTimedOutEventAttributes?.scheduledEventId ?? e.activityTaskCanceledEventAttributes?.scheduledEventId;
  return { at: ms(e.eventTime), type: e.eventType ?? 0, scheduledEventId: Number(String(closes ?? e.eventId ?? 0)) };
}

/** The case's own workflows (not the day's shared reconciliation run), from the ids it recorded. */
export function workflowIdsOf(c: CaseRun): string[] {
  const d = c.data;
  const ids = [d.paymentId, d.paymentIda, d.paymentIdb, d.refundId, d.discrepancyId].filter((v) => v !== undefined).map(String);
  if (d.itemId !== undefined) ids.push(feedbackWorkflowId(String(d.itemId)));
  if (c.kind === 'dvctt' && d.code !== undefined) ids.push(dvcttWorkflowId(String(d.code)));
  if (d.decisionId !== undefined) ids.push(tthcDecisionWorkflowId(String(d.decisionId)));
  return ids;
}

/** The events of every case's workflows (a workflow that was never started has none). */
export async function fetchCaseEvents(temporalAddress: string, cases: CaseRun[]): Promise<Map<string, CaseEvent[]>> {
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection });
  const out = new Map<string, CaseEvent[]>();
  try {
    const queue = [...cases];
    const fetchOne = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const events: CaseEvent[] = [];
        for (const id of workflowIdsOf(c)) {
          const history = await client.workflow.getHandle(id).fetchHistory().catch(() => undefined);
          for (const e of history?.events ?? []) events.push(reduce(e));
        }
        out.set(c.id, events.sort((a, b) => a.at - b.at));
      }
    };
    await Promise.all(Array.from({ length: 4 }, fetchOne));
  } finally {
    await connection.close();
  }
  return out;
}

const SCHEDULED = new Set<number>([EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]);
const CLOSING = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED, EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
  EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
]);

/** A workflow task or activity scheduled before `at` and not closed by then: the case had work waiting. */
function workPendingAt(events: CaseEvent[], at: number): boolean {
  const open = new Set<number>();
  for (const e of events) {
    if (e.at >= at) break;
    if (SCHEDULED.has(e.type)) open.add(e.scheduledEventId);
    else if (CLOSING.has(e.type)) open.delete(e.scheduledEventId);
  }
  return open.size > 0;
}

export interface MovesAgain {
  ms: number;
  /** What moved first: a history event type, or the client's step. */
  what: string;
}

/** The case's "moves again" after `upAt`, or undefined when nothing of it moved after. */
export function movesAgainOf(c: CaseRun, events: CaseEvent[], upAt: number): MovesAgain | undefined {
  const event = events.find((e) => e.at > upAt && PROGRESS.has(e.type));
  const move = c.moves.find((m) => m.at >= upAt);
  const first = event && (!move || event.at <= move.at)
    ? { at: event.at, what: (EventType[event.type] ?? String(event.type)).replace('EVENT_TYPE_', '') }
    : move ? { at: move.at, what: `answer to ${move.step}` } : undefined;
  if (!first) return undefined;
  const waiting = workPendingAt(events, upAt) || c.requests.some((r) => r.since < upAt && (r.until === undefined || r.until >= upAt));
  const nextRequest = c.requests.find((r) => r.since >= upAt)?.since;
  const from = waiting || nextRequest === undefined || nextRequest > first.at ? upAt : nextRequest;
  return { ms: first.at - from, what: first.what };
}
