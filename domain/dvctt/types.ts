import type { ActionRecord, ActorRef } from '../processes/actors.js';
import type { CaseRuleSet } from '../rules/types.js';
import type { SlaClock } from '../sla/clocks.js';

/**
 * P2 — online public service (DVCTT) test integration on the Portal, "2 + 5 + 2" (Art 27–28).
 * One long-lived workflow per declared service: the test loop (propose → VPCP review → agency
 * test → VPCP confirmation, in numbered rounds), then the service's life on the Portal
 * (suspension, stop, resumption — Art 28.4).
 */
export const DVCTT_PROCESS = 'dvctt';

export const dvcttWorkflowId = (serviceCode: string): string => `${DVCTT_PROCESS}-${serviceCode}`;

/** Project rule: after a return, VPCP may close a loop the agency leaves idle this long (working days). */
export const DEFAULT_ABANDON_AFTER_WORKING_DAYS = 30;

/** The service as declared in the register (Art 27.1, 28.1). */
export interface DvcttService {
  code: string;
  name: string;
  tthcCode: string;
  agency: string;
  level: 3 | 4;
}

/** Publication status of the service on the Portal; also the case stage (DvcqgStage). */
export const DVCTT_STATUSES = [
  'declared', // khai báo (Art 27.1): not yet proposed
  'proposed', // đề nghị công khai (Art 27.2): VPCP reviewing
  'returned', // VPCP did not publish it; the agency fixes and proposes again (Art 27.3)
  'published-for-testing', // công khai để kiểm thử (Art 27.3): the agency tests (Art 27.4)
  'test-reported', // the agency sent its test report; VPCP confirming (Art 27.5)
  'unpublished', // bỏ công khai: test not passed, the agency redoes it (Art 27.5)
  'live', // cung cấp chính thức: accepts new dossiers
  'suspended', // tạm ngưng (Art 28.4): no new dossiers until VPCP resumes it
  'stopped', // dừng (Art 28.4): unpublished; back into the test loop (project rule)
  'withdrawn', // the agency withdrew it from the loop
  'closed', // VPCP closed a loop the agency abandoned (project rule)
] as const;
export type DvcttStatus = (typeof DVCTT_STATUSES)[number];

/** Statuses from which the agency may (re)propose the service: each proposal opens a new round. */
export const PROPOSABLE: readonly DvcttStatus[] = ['declared', 'returned', 'unpublished', 'stopped', 'withdrawn', 'closed'];

/** Only a live service takes new dossiers; dossiers already submitted keep being processed (Art 28.4). */
export const acceptsNewDossiers = (status: DvcttStatus): boolean => status === 'live';

/**
 * Art 28.1 / 19: the TTHC a service delivers was repealed. Sent by the publishing decision's
 * workflow once the repeal takes effect; the service is suspended for good with this reason.
 */
export interface TthcRepealNotice {
  /** The repealed TTHC (a province's copy when the repeal cascaded to it, Art 19.1). */
  tthcCode: string;
  decisionId: string;
  decisionNumber: string;
  /** Local date the repeal takes effect. */
  effectiveOn: string;
  /** The officer who published the repeal. */
  actor: ActorRef;
}

export const tthcRepealReason = (n: TthcRepealNotice): string =>
  `TTHC ${n.tthcCode} was repealed by decision ${n.decisionNumber}, in force from ${n.effectiveOn} (Art 19, 28.1)`;

export type DvcttAction =
  | 'propose'
  | 'review'
  | 'submitTestReport'
  | 'confirmTest'
  | 'suspend'
  | 'stop'
  | 'reportFix'
  | 'resume'
  | 'withdraw'
  | 'close';

export interface DvcttTestReport {
  /** Tên thủ tục hành chính. */
  tthcName: string;
  /** Tên dịch vụ công. */
  serviceName: string;
  /** Mã số hồ sơ đã hoàn thành kiểm thử: at least one. */
  dossierCodes: string[];
}

export type DvcttRoundOutcome = 'open' | 'rejected' | 'failed' | 'passed' | 'withdrawn' | 'closed';

/** One pass through the loop, numbered from 1 and never overwritten. */
export interface DvcttRound {
  round: number;
  proposedAt: string;
  proposedBy: string;
  proposalNote?: string;
  review?: { decision: 'approve' | 'reject'; at: string; by: string; reasons?: string };
  testReport?: DvcttTestReport & { at: string; by: string };
  confirmation?: { result: 'pass' | 'fail'; at: string; by: string; reasons?: string };
  outcome: DvcttRoundOutcome;
  /** SLA clock keys of this round (review, test, confirm, and the abandonment clock if any). */
  clockKeys: string[];
}

export interface DvcttWorkflowInput {
  service: DvcttService;
  /** Project rule: working days of agency inactivity after a return before VPCP may close. */
  abandonAfterWorkingDays?: number;
  /** Continue as new once history has this many events (default: when Temporal suggests it). */
  maxHistoryEvents?: number;
  /** State carried over by continueAsNew. */
  carried?: DvcttCarriedState;
  /**
   * The rule set in force when the loop started, pinned by the API; carried across continue-as-new
   * (absent before rule sets existed: the 2020 baseline).
   */
  ruleSet?: CaseRuleSet;
}

/**
 * What one run hands to the next. Only the recent part of the case travels (the rounds and actions
 * the view shows, the finished clocks of those rounds): the full log is in the PostgreSQL projection
 * (`dvctt_rounds`, `dvctt_actions`, `sla_clocks`), so the carried input stays small however long
 * the service lives.
 */
export interface DvcttCarriedState {
  status: DvcttStatus;
  statusChangedAt: string;
  rounds: DvcttRound[];
  actions: ActionRecord[];
  /** Sequence of the last action, over the whole life of the case. */
  actionSeq: number;
  suspensions: number;
  fixReported?: { at: string; by: string; note: string };
  tthcRepeal?: TthcRepealNotice;
  /** A repeal notice received but not applied yet (an action was in progress). */
  pendingRepeal?: TthcRepealNotice;
  projectionRevision: number;
  openClocks: SlaClock[];
  finishedClocks: SlaClock[];
}

export interface DvcttAllowedAction {
  action: DvcttAction;
  /** Who may do it now: the service's agency code or 'VPCP'. */
  by: string;
}

export interface DvcttView {
  workflowId: string;
  service: DvcttService;
  status: DvcttStatus;
  acceptsNewDossiers: boolean;
  currentRound?: number;
  /** The recent rounds with their clocks (every round: `GET /services/:code/rounds`). */
  rounds: (DvcttRound & { clocks: SlaClock[] })[];
  fixReported?: { at: string; by: string; note: string };
  /** Art 28.1: the TTHC was repealed; the service is suspended for good. */
  tthcRepeal?: TthcRepealNotice;
  allowedActions: DvcttAllowedAction[];
  /** The recent actions (the full log is in `dvctt_actions`). */
  actions: ActionRecord[];
  abandonAfterWorkingDays: number;
}

/** What an action returns: where the case stands now. The detail comes from the query or the projection. */
export interface DvcttActionResult {
  workflowId: string;
  serviceCode: string;
  status: DvcttStatus;
  acceptsNewDossiers: boolean;
  currentRound?: number;
  /** The action just recorded. */
  action: ActionRecord;
  allowedActions: DvcttAllowedAction[];
}

interface Acting {
  actor: ActorRef;
}
export interface ProposeInput extends Acting {
  note?: string;
}
export interface ReviewInput extends Acting {
  decision: 'approve' | 'reject';
  /** Required to reject: what the agency must fix. */
  reasons?: string;
}
export interface TestReportInput extends Acting, DvcttTestReport {}
export interface ConfirmInput extends Acting {
  result: 'pass' | 'fail';
  /** Required on fail. */
  reasons?: string;
}
export interface ReasonInput extends Acting {
  reasons: string;
}
export interface NoteInput extends Acting {
  note?: string;
}
export interface FixInput extends Acting {
  /** What the agency fixed. */
  note: string;
}

/** What the projection activities write (the register row, the rounds, the action log). */
export interface DvcttProjection {
  workflowId: string;
  serviceCode: string;
  status: DvcttStatus;
  currentRound?: number;
  statusChangedAt: string;
  /** Monotonic across the whole life of the workflow (carried over), so older writes never win. */
  revision: number;
  /** The round the action touched, if any, and the action itself. */
  round?: DvcttRound;
  action: ActionRecord;
  tthcRepeal?: TthcRepealNotice;
}
