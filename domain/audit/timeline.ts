import { defaultPayloadConverter } from '@temporalio/common';
// @temporalio/proto is CommonJS without static named exports: take the namespace from its default.
import proto from '@temporalio/proto';
import { formatInstant } from '../calendar/dates.js';
import type * as Proto from '@temporalio/proto';
const { temporal } = proto;

/**
 * The life of a case read from its Temporal history, in business terms. Pure: it translates the
 * events of every run (oldest first, following continue-as-new) using the project's conventions —
 * every human action is an update whose arguments carry an ActorRef, every clock goes through
 * the shared SlaTracker (`computeDeadline` records the deadline, `projectSlaClock` every change),
 * every message through `sendNotification` — so it works for any process that follows them.
 */

type History = Proto.temporal.api.history.v1.IHistory;
type HistoryEvent = Proto.temporal.api.history.v1.IHistoryEvent;
type Payload = Proto.temporal.api.common.v1.IPayload;
type Failure = Proto.temporal.api.failure.v1.IFailure;
const EventType = temporal.api.enums.v1.EventType;

export interface AuditRun {
  runId: string;
  history: History;
}

export interface TimelineActor {
  userId: string;
  role?: string;
  agency?: string;
  bank?: string;
  /** The officer permission the action was authorized by, and its grant (actions recorded since permissions exist). */
  permission?: string;
  grant?: string;
}

export interface TimelineClock {
  key: string;
  article?: string;
  /** The rule set the period and article come from (clocks recorded since rule sets exist; before: the 2020 baseline). */
  ruleSetId?: string;
  step?: string;
  stepVi?: string;
  owner?: string;
  ownerKind?: string;
  stage?: string;
  amount?: number;
  unit?: string;
  startedAt?: string;
  dueAt?: string;
  dueLocal?: string;
  calendarVersion?: number;
  rule?: string;
  explanation?: string;
  explanationVi?: string;
  outcome?: string;
  breachedAt?: string;
  completedAt?: string;
  completedBy?: string;
  lateByMinutes?: number;
  cancelReason?: string;
  previousDueAt?: string;
}

export const ENTRY_KINDS = [
  'case.started', 'case.completed', 'case.failed', 'case.terminated', 'case.canceled', 'case.timedOut', 'case.continuedAsNew',
  'action', 'signal',
  'clock.started', 'clock.met', 'clock.breached', 'clock.completedLate', 'clock.cancelled', 'clock.recomputed',
  'notification', 'activity', 'activity.failed', 'timer', 'stage', 'marker', 'child',
] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

export interface TimelineEntry {
  seq: number;
  /** Workflow time of the event (UTC). */
  at: string;
  runId: string;
  eventId: number;
  kind: EntryKind;
  title: string;
  titleVi: string;
  actor?: TimelineActor;
  clock?: TimelineClock;
  notification?: { channel?: string; recipient?: string; template?: string; subject?: string; subjectVi?: string; status: string };
  update?: { name: string; updateId?: string; status: 'accepted' | 'completed' | 'failed'; completedAt?: string; result?: unknown; failure?: FailureView };
  data?: Record<string, unknown>;
}

export interface FailureView {
  type?: string;
  message: string;
}

export interface RunSummary {
  runId: string;
  startedAt: string;
  closedAt?: string;
  /** How the run ended: 'running' while the last event is not a close event. */
  closedAs: 'running' | 'completed' | 'failed' | 'terminated' | 'canceled' | 'timedOut' | 'continuedAsNew';
  eventCount: number;
}

export interface Timeline {
  workflowId: string;
  workflowType: string;
  runs: RunSummary[];
  /** Every clock in its latest state (breaches included). */
  clocks: TimelineClock[];
  entries: TimelineEntry[];
}

const closedAs: Partial<Record<Proto.temporal.api.enums.v1.EventType, RunSummary['closedAs']>> = {
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED]: 'completed',
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED]: 'failed',
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED]: 'terminated',
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED]: 'canceled',
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT]: 'timedOut',
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW]: 'continuedAsNew',
};

/** Activities the SLA and notification conventions give a business meaning to. */
const CLOCK_DEADLINE = 'computeDeadline';
const CLOCK_PROJECTION = 'projectSlaClock';
const NOTIFICATION = 'sendNotification';

const num = (v: unknown): number => (typeof v === 'number' ? v : v && typeof (v as { toNumber?: () => number }).toNumber === 'function' ? (v as { toNumber(): number }).toNumber() : Number(v ?? 0));

function instant(event: HistoryEvent): string {
  const ts = event.eventTime;
  return new Date(num(ts?.seconds) * 1000 + Math.floor((ts?.nanos ?? 0) / 1e6)).toISOString();
}

function decode(payload: Payload | null | undefined): unknown {
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(payload);
  } catch {
    return { undecodable: true };
  }
}

const decodeAll = (payloads: { payloads?: Payload[] | null } | null | undefined): unknown[] => (payloads?.payloads ?? []).map(decode);

function failureView(failure: Failure | null | undefined): FailureView {
  return { type: failure?.applicationFailureInfo?.type ?? undefined, message: failure?.message ?? 'failed' };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where the project's calls put the actor: the argument itself, or `actor` / `by` / `startedBy` / `requestedBy` / `submittedBy` / `createdBy` / `openedBy` in it. */
export function findActor(args: unknown[]): TimelineActor | undefined {
  for (const arg of args) {
    if (!isRecord(arg)) continue;
    if (typeof arg.userId === 'string' && typeof arg.role === 'string') return pickActor(arg);
    for (const field of ['actor', 'by', 'startedBy', 'requestedBy', 'submittedBy', 'createdBy', 'openedBy']) {
      const value = arg[field];
      if (isRecord(value) && typeof value.userId === 'string') return pickActor(value);
      if (typeof value === 'string' && value) return { userId: value };
    }
  }
  return undefined;
}

function pickActor(v: Record<string, unknown>): TimelineActor {
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const permission = str('permission');
  const grant = str('grant');
  return { userId: v.userId as string, role: str('role'), agency: str('agency'), bank: str('bank'), ...(permission ? { permission } : {}), ...(grant ? { grant } : {}) };
}

function clockFromSnapshot(s: Record<string, unknown>): TimelineClock {
  const pick = <T>(k: string) => (s[k] === undefined || s[k] === null ? undefined : (s[k] as T));
  return {
    key: String(s.key),
    article: pick('article'), ruleSetId: pick('ruleSetId'), step: pick('step'), stepVi: pick('stepVi'), owner: pick('owner'), ownerKind: pick('ownerKind'),
    stage: pick('stage'), amount: pick('amount'), unit: pick('unit'), startedAt: pick('startedAt'), dueAt: pick('dueAt'),
    dueLocal: pick('dueLocal'), calendarVersion: pick('calendarVersion'), rule: pick('rule'), explanation: pick('explanation'),
    explanationVi: pick('explanationVi'), outcome: pick('outcome'), breachedAt: pick('breachedAt'), completedAt: pick('completedAt'),
    completedBy: pick('completedBy'), lateByMinutes: pick('lateByMinutes'), cancelReason: pick('cancelReason'),
  };
}

const isOpen = (c: TimelineClock) => c.completedAt === undefined && c.outcome !== 'cancelled';

export function buildTimeline(workflowId: string, runs: AuditRun[]): Timeline {
  const entries: TimelineEntry[] = [];
  const clocks = new Map<string, TimelineClock & { recomputations?: number }>();
  let workflowType = '';
  let stage: string | undefined;

  const add = (runId: string, event: HistoryEvent, e: Omit<TimelineEntry, 'seq' | 'at' | 'runId' | 'eventId'>): TimelineEntry => {
    const entry: TimelineEntry = { seq: entries.length + 1, at: instant(event), runId, eventId: num(event.eventId), ...e };
    entries.push(entry);
    return entry;
  };

  const summaries = runs.map(({ runId, history }, runIndex): RunSummary => {
    const events = history.events ?? [];
    const scheduled = new Map<number, { name: string; input: unknown[] }>();
    const updates = new Map<string, TimelineEntry>();
    const timers = new Map<string, TimelineEntry>();
    // The clock-started entry waits for the first projection to learn the step's name and stage.
    const startedWithoutStep = new Map<string, TimelineEntry>();

    const onStage = (event: HistoryEvent, fields: Record<string, Payload> | null | undefined) => {
      const next = decode(fields?.DvcqgStage);
      if (typeof next !== 'string' || next === stage) return;
      const previous = stage;
      stage = next;
      add(runId, event, { kind: 'stage', title: `Stage: ${next}`, titleVi: `Giai đoạn: ${next}`, data: { stage: next, previous } });
    };

    const onClockSnapshot = (event: HistoryEvent, snapshot: Record<string, unknown>) => {
      const now = clockFromSnapshot(snapshot);
      const recomputations = Array.isArray(snapshot.recomputations) ? snapshot.recomputations.length : 0;
      const prev = clocks.get(now.key);
      const pending = startedWithoutStep.get(now.key);
      if (pending?.clock) {
        Object.assign(pending.clock, { step: now.step, stepVi: now.stepVi, ownerKind: now.ownerKind, stage: now.stage, ...(now.ruleSetId ? { ruleSetId: now.ruleSetId } : {}) });
        startedWithoutStep.delete(now.key);
      }
      clocks.set(now.key, { ...prev, ...now, recomputations });
      const was = prev?.outcome ?? 'pending';
      const label = `${now.key}${now.article ? ` (${now.article})` : ''}`;
      if (now.outcome === 'met' && was !== 'met') {
        add(runId, event, { kind: 'clock.met', title: `Deadline met: ${label}`, titleVi: `Đúng hạn: ${label}`, clock: now });
      }
      if (now.outcome === 'breached' && was !== 'breached') {
        add(runId, event, { kind: 'clock.breached', title: `Deadline missed: ${label}, owner ${now.owner}`, titleVi: `Quá hạn: ${label}, trách nhiệm ${now.owner}`, clock: now });
      }
      if (now.outcome === 'breached' && now.completedAt && !prev?.completedAt) {
        add(runId, event, { kind: 'clock.completedLate', title: `Done late (${now.lateByMinutes ?? '?'} min): ${label}`, titleVi: `Hoàn thành muộn (${now.lateByMinutes ?? '?'} phút): ${label}`, clock: now });
      }
      if (now.outcome === 'cancelled' && was !== 'cancelled') {
        add(runId, event, { kind: 'clock.cancelled', title: `Clock cancelled: ${label}`, titleVi: `Hủy theo dõi thời hạn: ${label}`, clock: now });
      }
      if (prev?.dueAt && now.dueAt !== prev.dueAt && recomputations > (prev.recomputations ?? 0)) {
        add(runId, event, {
          kind: 'clock.recomputed', title: `Deadline recomputed: ${label}`, titleVi: `Tính lại thời hạn: ${label}`,
          clock: { ...now, previousDueAt: prev.dueAt },
        });
      }
    };

    const onActivityCompleted = (event: HistoryEvent, scheduledId: number, result: unknown) => {
      const activity = scheduled.get(scheduledId);
      if (!activity) return;
      const [input] = activity.input;
      if (activity.name === CLOCK_DEADLINE && isRecord(input) && isRecord(result)) {
        const key = String(input.clock ?? '?');
        const known = clocks.get(key);
        // A deadline computed for a clock that is still open is a recomputation; its projection says whether it moved.
        if (known && isOpen(known)) return;
        const explanation = isRecord(result.explanation) ? result.explanation : {};
        const clock: TimelineClock = {
          key, article: input.article as string, owner: input.owner as string, amount: input.amount as number, unit: input.unit as string,
          startedAt: input.from as string, dueAt: result.dueAt as string, dueLocal: result.dueLocal as string,
          calendarVersion: result.calendarVersion as number, rule: result.rule as string,
          explanation: explanation.summary as string, explanationVi: explanation.summaryVi as string, outcome: 'pending',
        };
        clocks.set(key, { ...clock });
        const label = `${key}${clock.article ? ` (${clock.article})` : ''}`;
        const entry = add(runId, event, {
          kind: 'clock.started',
          title: `Clock started: ${label}, ${clock.amount} ${clock.unit}, due ${clock.dueLocal ?? clock.dueAt}`,
          titleVi: `Bắt đầu tính thời hạn: ${label}, ${clock.amount} ${clock.unit}, hạn ${clock.dueLocal ?? clock.dueAt}`,
          clock,
        });
        startedWithoutStep.set(key, entry);
        return;
      }
      if (activity.name === CLOCK_PROJECTION) {
        if (isRecord(input) && isRecord(input.clock)) onClockSnapshot(event, input.clock);
        return;
      }
      if (activity.name === NOTIFICATION && isRecord(input)) {
        const status = isRecord(result) && typeof result.status === 'string' ? result.status : 'sent';
        add(runId, event, {
          kind: 'notification',
          title: `Notification ${status} (${input.channel}) to ${input.recipient}: ${input.subject ?? input.template}`,
          titleVi: `Đã gửi thông báo (${input.channel}) tới ${input.recipient}: ${input.subjectVi ?? input.template}`,
          notification: {
            channel: input.channel as string, recipient: input.recipient as string, template: input.template as string,
            subject: input.subject as string, subjectVi: input.subjectVi as string, status,
          },
        });
        return;
      }
      add(runId, event, { kind: 'activity', title: `Step done: ${activity.name}`, titleVi: `Đã thực hiện: ${activity.name}`, data: { activity: activity.name, input: activity.input, result } });
    };

    for (const event of events) {
      switch (event.eventType) {
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
          const a = event.workflowExecutionStartedEventAttributes;
          workflowType ||= a?.workflowType?.name ?? '';
          onStage(event, a?.searchAttributes?.indexedFields);
          if (runIndex > 0 && a?.continuedExecutionRunId) break;
          const input = decodeAll(a?.input);
          add(runId, event, {
            kind: 'case.started', title: `Case started (${a?.workflowType?.name})`, titleVi: `Bắt đầu hồ sơ (${a?.workflowType?.name})`,
            actor: findActor(input), data: { input, identity: a?.identity, taskQueue: a?.taskQueue?.name },
          });
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: {
          const a = event.workflowExecutionUpdateAcceptedEventAttributes;
          const name = a?.acceptedRequest?.input?.name ?? '?';
          const args = decodeAll(a?.acceptedRequest?.input?.args);
          const entry = add(runId, event, {
            kind: 'action', title: `Action: ${name}`, titleVi: `Thao tác: ${name}`, actor: findActor(args),
            update: { name, updateId: a?.acceptedRequest?.meta?.updateId ?? undefined, status: 'accepted' }, data: { args },
          });
          updates.set(a?.acceptedRequest?.meta?.updateId ?? String(num(event.eventId)), entry);
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: {
          const a = event.workflowExecutionUpdateCompletedEventAttributes;
          // By update id: not every server fills in acceptedEventId (the time-skipping test server does not).
          const entry = updates.get(a?.meta?.updateId ?? String(num(a?.acceptedEventId)));
          if (!entry?.update) break;
          entry.update.completedAt = instant(event);
          if (a?.outcome?.failure) {
            entry.update.status = 'failed';
            entry.update.failure = failureView(a.outcome.failure);
          } else {
            entry.update.status = 'completed';
            entry.update.result = decodeAll(a?.outcome?.success)[0];
          }
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
          const a = event.workflowExecutionSignaledEventAttributes;
          const input = decodeAll(a?.input);
          add(runId, event, { kind: 'signal', title: `Signal: ${a?.signalName}`, titleVi: `Tín hiệu: ${a?.signalName}`, actor: findActor(input), data: { input, identity: a?.identity } });
          break;
        }
        case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
          const a = event.activityTaskScheduledEventAttributes;
          scheduled.set(num(event.eventId), { name: a?.activityType?.name ?? '?', input: decodeAll(a?.input) });
          break;
        }
        case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
          const a = event.activityTaskCompletedEventAttributes;
          onActivityCompleted(event, num(a?.scheduledEventId), decodeAll(a?.result)[0]);
          break;
        }
        case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
        case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
          const a = event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
          const activity = scheduled.get(num(a?.scheduledEventId));
          add(runId, event, {
            kind: 'activity.failed', title: `Step failed: ${activity?.name}`, titleVi: `Thực hiện thất bại: ${activity?.name}`,
            data: { activity: activity?.name, input: activity?.input, failure: failureView(a?.failure) },
          });
          break;
        }
        case EventType.EVENT_TYPE_TIMER_STARTED: {
          const a = event.timerStartedEventAttributes;
          const ms = num(a?.startToFireTimeout?.seconds) * 1000 + Math.floor((a?.startToFireTimeout?.nanos ?? 0) / 1e6);
          const firesAt = new Date(Date.parse(instant(event)) + ms).toISOString();
          const firesLocal = formatInstant(Date.parse(firesAt)).local;
          const entry = add(runId, event, { kind: 'timer', title: `Timer until ${firesLocal}`, titleVi: `Hẹn giờ đến ${firesLocal}`, data: { timerId: a?.timerId, firesAt, outcome: 'pending' } });
          timers.set(a?.timerId ?? '', entry);
          break;
        }
        case EventType.EVENT_TYPE_TIMER_FIRED:
        case EventType.EVENT_TYPE_TIMER_CANCELED: {
          const timerId = event.timerFiredEventAttributes?.timerId ?? event.timerCanceledEventAttributes?.timerId ?? '';
          const entry = timers.get(timerId);
          if (entry?.data) Object.assign(entry.data, { outcome: event.timerFiredEventAttributes ? 'fired' : 'canceled', endedAt: instant(event) });
          break;
        }
        case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
          onStage(event, event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields);
          break;
        case EventType.EVENT_TYPE_MARKER_RECORDED: {
          const a = event.markerRecordedEventAttributes;
          const details = Object.fromEntries(Object.entries(a?.details ?? {}).map(([k, v]) => [k, decodeAll(v)]));
          add(runId, event, { kind: 'marker', title: `Code version marker: ${a?.markerName}`, titleVi: `Đánh dấu phiên bản mã: ${a?.markerName}`, data: { marker: a?.markerName, details } });
          break;
        }
        case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED: {
          const a = event.childWorkflowExecutionStartedEventAttributes;
          add(runId, event, { kind: 'child', title: `Sub-case started: ${a?.workflowExecution?.workflowId}`, titleVi: `Bắt đầu hồ sơ con: ${a?.workflowExecution?.workflowId}`, data: { workflowId: a?.workflowExecution?.workflowId, workflowType: a?.workflowType?.name } });
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: {
          const a = event.workflowExecutionContinuedAsNewEventAttributes;
          add(runId, event, { kind: 'case.continuedAsNew', title: `Continued as a new run ${a?.newExecutionRunId}`, titleVi: `Tiếp tục sang lượt chạy mới ${a?.newExecutionRunId}`, data: { newRunId: a?.newExecutionRunId } });
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
          add(runId, event, { kind: 'case.completed', title: 'Case completed', titleVi: 'Hồ sơ kết thúc', data: { result: decodeAll(event.workflowExecutionCompletedEventAttributes?.result)[0] } });
          break;
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
          add(runId, event, { kind: 'case.failed', title: 'Case failed', titleVi: 'Hồ sơ lỗi', data: { failure: failureView(event.workflowExecutionFailedEventAttributes?.failure) } });
          break;
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: {
          const a = event.workflowExecutionTerminatedEventAttributes;
          add(runId, event, { kind: 'case.terminated', title: `Case terminated: ${a?.reason ?? ''}`, titleVi: `Hồ sơ bị chấm dứt: ${a?.reason ?? ''}`, data: { reason: a?.reason, identity: a?.identity } });
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
          add(runId, event, { kind: 'case.canceled', title: 'Case cancelled', titleVi: 'Hồ sơ bị hủy' });
          break;
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
          add(runId, event, { kind: 'case.timedOut', title: 'Case timed out', titleVi: 'Hồ sơ hết thời gian chạy' });
          break;
        default:
          break;
      }
    }
    const first = events[0];
    const last = events[events.length - 1];
    const end = last?.eventType !== undefined && last?.eventType !== null ? closedAs[last.eventType] : undefined;
    return {
      runId,
      startedAt: first ? instant(first) : '',
      closedAt: end && last ? instant(last) : undefined,
      closedAs: end ?? 'running',
      eventCount: events.length,
    };
  });

  return {
    workflowId,
    workflowType,
    runs: summaries,
    clocks: [...clocks.values()].map(({ recomputations: _r, ...clock }) => clock),
    entries,
  };
}
