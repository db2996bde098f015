/**
 * Technical operations of the Portal, Regulation Art 50–52 (SPEC.md P7): security-server changes
 * (Art 50.2), support and incident requests and planned maintenance (Art 51), connection-loss
 * alerts (Art 52). What callers need: inputs, views, one update per human action (validated in the
 * workflows), queries and the workflow-id builders. The API imports only this.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ActionRecord, ActorRef } from './actors.js';
import type { CaseRuleSet, SlaClock } from './sla.definitions.js';

export const OPERATIONS_PROCESS = 'operations';

/** A technical contact (security server, connected system): a name and how to reach them. */
export interface TechnicalContact {
  name: string;
  phone?: string;
  email?: string;
}

/** A deadline as the calendar computed it (recorded in history and in the case). */
export interface NoticeCheck {
  /** The article the notice period comes from, and its rule set (absent from checks recorded before rule sets existed). */
  article: string;
  ruleSetId?: string;
  amount: number;
  /** The end of the last working day of the notice: the change or window may take effect only after it. */
  dueAt: string;
  dueLocal: string;
  rule: string;
  calendarVersion: number;
  explanation: string;
  /** Whether the requested instant gives the full notice. */
  sufficient: boolean;
}

// ---- Art 50.2: security servers ---------------------------------------------------------------

// Art 50.2: a change must be registered at least 3 working days before it takes effect — the period
// `operations.securityServerNotice` of the case's rule set (domain/rules).

export const securityServerChangeWorkflowId = (changeId: string) => `${OPERATIONS_PROCESS}-server-${changeId}`;

export interface SecurityServerRecord {
  /** Address of the server (host name or IP, with port if any). */
  address: string;
  /** Certificate fingerprint (e.g. SHA-256, hex). */
  certificateFingerprint: string;
  contact: TechnicalContact;
}

export interface SecurityServerChangeInput {
  changeId: string;
  agency: string;
  /** The agency's own name for the server, stable across its versions. */
  serverId: string;
  record: SecurityServerRecord;
  /** When the new information takes effect. */
  effectiveAt: string;
  /** Less than 3 working days' notice: the agency asks VPCP to accept it as an emergency, with this reason. */
  emergencyReason?: string;
  requestedBy: ActorRef;
  /** Hash of the request: an idempotent replay must carry the same one. */
  fingerprint: string;
  /** The rule set pinned by the API (absent before rule sets existed: the 2020 baseline). */
  ruleSet?: CaseRuleSet;
}

export type SecurityServerChangeStatus =
  | 'checking' // the notice is being computed
  | 'awaiting-emergency-decision' // short notice, VPCP decides (Art 50.2, project rule)
  | 'scheduled' // accepted, waiting for its effective instant
  | 'current' // in force
  | 'superseded' // in force, then replaced by a later version (set by the projection)
  | 'refused' // too short a notice (Art 50.2), or an emergency VPCP refused
  | 'withdrawn'; // the agency withdrew it before it took effect

export const SECURITY_SERVER_FINAL: readonly SecurityServerChangeStatus[] = ['current', 'superseded', 'refused', 'withdrawn'];

export interface SecurityServerChangeView extends Omit<SecurityServerChangeInput, 'fingerprint'> {
  workflowId: string;
  fingerprint: string;
  status: SecurityServerChangeStatus;
  registeredAt: string;
  notice?: NoticeCheck;
  /** Accepted by VPCP with less than the full notice. */
  emergency: boolean;
  decidedBy?: string;
  refusedReason?: string;
  appliedAt?: string;
  actions: ActionRecord[];
  actionSeq: number;
  revision: number;
}

export interface EmergencyDecisionInput {
  actor: ActorRef;
  decision: 'approve' | 'refuse';
  reason: string;
}
export interface WithdrawInput {
  actor: ActorRef;
  reason: string;
}

export const securityServerChangeQuery = defineQuery<SecurityServerChangeView>('securityServerChange');
export const decideEmergencyChangeUpdate = defineUpdate<SecurityServerChangeView, [EmergencyDecisionInput]>('decideEmergencyChangeUpdate');
export const withdrawSecurityServerChangeUpdate = defineUpdate<SecurityServerChangeView, [WithdrawInput]>('withdrawSecurityServerChangeUpdate');

// ---- Art 51: support and incident requests ---------------------------------------------------------

// Art 51: a request is handled within 8 working hours — `operations.supportHandling` of the case's rule set.

export const supportRequestWorkflowId = (requestId: string) => `${OPERATIONS_PROCESS}-support-${requestId}`;

export const SUPPORT_KINDS = ['support', 'incident'] as const;
export type SupportKind = (typeof SUPPORT_KINDS)[number];

/** Units VPCP may announce a completion time in (counted from the announcement by the calendar). */
export const COMPLETION_UNITS = ['workingHours', 'workingDays', 'calendarDays'] as const;
export type CompletionUnit = (typeof COMPLETION_UNITS)[number];

export interface SupportRules {
  /** Project rule: working days the agency has to reopen a resolved request; then it closes. */
  reopenWorkingDays: number;
}
export const DEFAULT_SUPPORT_RULES: SupportRules = { reopenWorkingDays: 5 };

export interface SupportRequestInput {
  requestId: string;
  agency: string;
  kind: SupportKind;
  title: string;
  description: string;
  /** The connected system concerned, if any. */
  systemId?: string;
  requestedBy: ActorRef;
  fingerprint: string;
  rules?: Partial<SupportRules>;
  /** The rule set pinned by the API (absent before rule sets existed: the 2020 baseline). */
  ruleSet?: CaseRuleSet;
}

export type SupportStatus =
  | 'received' // VPCP's 8 working hours run — đang chờ xử lý
  | 'scheduled' // complex: VPCP announced a completion time, which is the clock now
  | 'resolved' // VPCP resolved it; the agency may reopen it within the reopen window
  | 'closed' // confirmed by the agency, or the reopen window passed
  | 'withdrawn';

export const SUPPORT_FINAL: readonly SupportStatus[] = ['closed', 'withdrawn'];

export type SupportAction = 'announceCompletion' | 'note' | 'resolve' | 'reopen' | 'close' | 'withdraw';

export interface SupportNote {
  at: string;
  by: string;
  text: string;
}

export interface SupportRequestView extends Omit<SupportRequestInput, 'rules'> {
  workflowId: string;
  status: SupportStatus;
  /** A round is one handling: the first filing, then every reopening. */
  round: number;
  receivedAt: string;
  roundStartedAt: string;
  announcedCompletion?: { at: string; by: string; amount: number; unit: CompletionUnit; reason: string; dueAt: string; dueLocal: string };
  resolution?: { at: string; by: string; text: string };
  notes: SupportNote[];
  closedAt?: string;
  actionsAllowed: SupportAction[];
  clocks: SlaClock[];
  actions: ActionRecord[];
  actionSeq: number;
  revision: number;
}

export interface AnnounceCompletionInput {
  actor: ActorRef;
  amount: number;
  unit: CompletionUnit;
  reason: string;
}
export interface SupportNoteInput {
  actor: ActorRef;
  text: string;
}
export interface ResolveSupportInput {
  actor: ActorRef;
  resolution: string;
}
export interface ReopenSupportInput {
  actor: ActorRef;
  reason: string;
}
export interface CloseSupportInput {
  actor: ActorRef;
}

export const supportRequestQuery = defineQuery<SupportRequestView>('supportRequest');
export const announceCompletionUpdate = defineUpdate<SupportRequestView, [AnnounceCompletionInput]>('announceCompletionUpdate');
export const noteSupportRequestUpdate = defineUpdate<SupportRequestView, [SupportNoteInput]>('noteSupportRequestUpdate');
export const resolveSupportRequestUpdate = defineUpdate<SupportRequestView, [ResolveSupportInput]>('resolveSupportRequestUpdate');
export const reopenSupportRequestUpdate = defineUpdate<SupportRequestView, [ReopenSupportInput]>('reopenSupportRequestUpdate');
export const closeSupportRequestUpdate = defineUpdate<SupportRequestView, [CloseSupportInput]>('closeSupportRequestUpdate');
export const withdrawSupportRequestUpdate = defineUpdate<SupportRequestView, [WithdrawInput]>('withdrawSupportRequestUpdate');

export const supportClockKeys = {
  handle: (round: number) => `handle#${round}`,
  completion: (round: number) => `completion#${round}`,
  reopenWindow: (round: number) => `reopenWindow#${round}`,
};

// ---- Art 51: planned maintenance -----------------------------------------------------------------

// Art 51: VPCP notifies the parties at least 5 working days before planned maintenance —
// `operations.maintenanceNotice` of the case's rule set.

export const maintenanceWorkflowId = (windowId: string) => `${OPERATIONS_PROCESS}-maintenance-${windowId}`;

export interface MaintenanceInput {
  windowId: string;
  title: string;
  description: string;
  startsAt: string;
  endsAt: string;
  /** Less than 5 working days' notice is allowed only as an emergency, with this reason (flagged). */
  emergencyReason?: string;
  announcedBy: ActorRef;
  fingerprint: string;
  /** The rule set pinned by the API (absent before rule sets existed: the 2020 baseline). */
  ruleSet?: CaseRuleSet;
}

export type MaintenanceStatus = 'checking' | 'refused' | 'announced' | 'in-progress' | 'completed' | 'cancelled';
export const MAINTENANCE_FINAL: readonly MaintenanceStatus[] = ['refused', 'completed', 'cancelled'];

export interface MaintenanceView extends MaintenanceInput {
  workflowId: string;
  status: MaintenanceStatus;
  announcedAt: string;
  notice?: NoticeCheck;
  emergency: boolean;
  refusedReason?: string;
  /** Notices sent to the parties (Portal inbox notices and e-mails), per step. */
  notified: { step: string; inbox: number; email: number }[];
  startedAt?: string;
  endedAt?: string;
  actions: ActionRecord[];
  actionSeq: number;
  revision: number;
}

export interface CancelMaintenanceInput {
  actor: ActorRef;
  reason: string;
}

export const maintenanceQuery = defineQuery<MaintenanceView>('maintenance');
export const cancelMaintenanceUpdate = defineUpdate<MaintenanceView, [CancelMaintenanceInput]>('cancelMaintenanceUpdate');

// ---- Art 52: connection-loss alerts --------------------------------------------------------------

export const connectionMonitorWorkflowId = (systemId: string) => `${OPERATIONS_PROCESS}-monitor-${systemId}`;

/** Art 48.4, 52: the kinds of systems connected to the Portal. */
export const SYSTEM_KINDS = ['ministry-portal', 'provincial-portal', 'ministry-one-stop', 'provincial-one-stop', 'other'] as const;
export type SystemKind = (typeof SYSTEM_KINDS)[number];

/** Project rules (Art 52 is silent): how often, how long and how many failures make an outage. */
export const MONITOR_LIMITS = {
  failureThreshold: { min: 1, max: 20, default: 3 },
  intervalSeconds: { min: 1, max: 3600, default: 60 },
  timeoutMs: { min: 100, max: 5000, default: 3000 },
} as const;

export interface MonitorConfig {
  systemId: string;
  agency: string;
  name: string;
  kind: SystemKind;
  /** http(s) only; probed with GET, a 2xx answer is healthy. */
  healthUrl: string;
  /** The agency's technical admins, alerted by SMS, e-mail (and the agency's Portal inbox). */
  admins: TechnicalContact[];
  failureThreshold: number;
  intervalSeconds: number;
  timeoutMs: number;
}

export type MonitorStatus = 'unknown' | 'up' | 'down' | 'retired';

export interface OpenOutage {
  outageId: string;
  startedAt: string;
  detectedAt: string;
}

export interface MonitorState {
  config: MonitorConfig;
  status: MonitorStatus;
  consecutiveFailures: number;
  /** First failure of the current run of failures (the outage's start once confirmed). */
  firstFailureAt?: string;
  lastProbeAt?: string;
  lastOkAt?: string;
  lastError?: string;
  /** A failed probe inside a maintenance window (Art 51): not counted, nobody alerted. */
  silencedAt?: string;
  outage?: OpenOutage;
  probes: number;
  outages: number;
  actions: ActionRecord[];
  actionSeq: number;
  revision: number;
}

export interface MonitorView extends MonitorState {
  workflowId: string;
}

export interface ConnectionMonitorInput {
  config: MonitorConfig;
  registeredBy: ActorRef;
  fingerprint: string;
  /** Keep the history small: a new run after this many probes (default 200; tests lower it). */
  probesPerRun?: number;
  /** Set by continueAsNew. */
  carried?: MonitorState;
}

export interface ConfigureMonitorInput {
  actor: ActorRef;
  healthUrl?: string;
  admins?: TechnicalContact[];
  failureThreshold?: number;
  intervalSeconds?: number;
  timeoutMs?: number;
}
export interface RetireMonitorInput {
  actor: ActorRef;
  reason: string;
}

export const monitorStateQuery = defineQuery<MonitorView>('connectionMonitor');
export const configureMonitorUpdate = defineUpdate<MonitorView, [ConfigureMonitorInput]>('configureMonitorUpdate');
export const retireMonitorUpdate = defineUpdate<MonitorView, [RetireMonitorInput]>('retireMonitorUpdate');

/** Only http(s) URLs are probed (no file:, data:, ftp: …), without credentials in them. */
export function probeableUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `only http and https URLs are probed, not ${parsed.protocol}`;
  if (parsed.username || parsed.password) return 'a health-check URL may not carry credentials';
  return undefined;
}
