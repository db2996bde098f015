/**
 * Citizen feedback — phản ánh, kiến nghị (PAKN), Regulation Art 36–45 (SPEC.md P3).
 * What callers need: the workflow input, the state view, one update per human action (each with
 * a validator in the workflow), the state query and the workflow-id builder. The API imports only this.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ActionRecord, ActorRef } from './actors.js';
import type { FeedbackCategory } from '../domain/rules/baseline-2020.js';
import type { CaseRuleSet, SlaClock } from './sla.definitions.js';

export const FEEDBACK_PROCESS = 'feedback';

export const feedbackWorkflowId = (itemId: string): string => `${FEEDBACK_PROCESS}-${itemId}`;

/** Art 37: what feedback on the Portal may be about (the value set of the 2020 baseline, domain/rules). */
export { FEEDBACK_CATEGORIES, type FeedbackCategory } from '../domain/rules/baseline-2020.js';

/**
 * Art 25.3: what an agency handling TTHCs reports about another agency's TTHC data — in force but
 * not (correctly, fully) published, repealed but still published, or published differently (Art 37.3a–c).
 */
export const TTHC_DATA_CATEGORIES = ['tthc-not-published', 'tthc-repealed-still-published', 'tthc-publication-mismatch'] as const satisfies readonly FeedbackCategory[];

/** Art 38 (Portal, during an online service) and Art 42.2b (paper, phone, fax, e-mail typed in by an officer). */
export const PORTAL_CHANNELS = ['portal', 'online-service'] as const;
export const OFFICER_CHANNELS = ['paper', 'phone', 'fax', 'email'] as const;
/** Art 25.3: an agency reports wrong TTHC data of another agency; the item goes to the TTHC's owner. */
export const AGENCY_REPORT_CHANNEL = 'agency-report';
export const FEEDBACK_CHANNELS = [...PORTAL_CHANNELS, ...OFFICER_CHANNELS, AGENCY_REPORT_CHANNEL] as const;
export type FeedbackChannel = (typeof FEEDBACK_CHANNELS)[number];

/**
 * Who sent it and how to reach them. Art 39.3 asks phone and e-mail of Portal submissions; an item
 * typed in by an officer (Art 42.2b) or reported by an agency (Art 25.3) needs a name and an address.
 */
export interface FeedbackSender {
  name: string;
  address: string;
  phone?: string;
  email?: string;
  /** Portal account (required for Portal submissions, Art 39.3; optional for items typed in by an officer). */
  portalAccountId?: string;
}

export interface FeedbackSubmission {
  sender: FeedbackSender;
  /** Vietnamese content (Art 39.1–2). */
  content: string;
  /** The agency it is addressed to (receiving agency). */
  agency: string;
  tthcCode?: string;
  category: FeedbackCategory;
  channel: FeedbackChannel;
}

export type FeedbackStatus =
  | 'received' // awaiting classification — chờ phân loại (Art 42.3)
  | 'awaiting-supplement' // clarification asked, waiting on the citizen — chờ bổ sung (Art 42.3b)
  | 'processing' // accepted — đang xử lý (Art 42.3d, 43)
  | 'in-review' // result entered, the receiving body checks it — kiểm tra kết quả (Art 45.2)
  | 'approved' // checked, ready to publish
  | 'published' // answer public on the Portal — đã công khai (Art 45.1)
  | 'not-accepted' // refused with reasons — không tiếp nhận (Art 42.3a)
  | 'closed' // nothing came after a clarification request (project rule)
  | 'state-secret'; // found to involve state secrets: off the system, content removed (Art 44.3)

export const FINAL_STATUSES: readonly FeedbackStatus[] = ['published', 'not-accepted', 'closed', 'state-secret'];

export type FeedbackAction =
  | 'classify'
  | 'supplement'
  | 'coordinate'
  | 'answerCoordination'
  | 'progress'
  | 'result'
  | 'review'
  | 'publish'
  | 'reopen'
  | 'escalate'
  | 'removeStateSecret';

/**
 * Project rules (the Regulation is silent), overridable per workflow for tests and configuration.
 * Regulated periods are not here: they come from the case's rule set (`ruleSet`, domain/rules).
 */
export interface FeedbackRules {
  /** Working days the citizen has to supplement after a clarification request; nothing → closed. */
  supplementWorkingDays: number;
  /** continueAsNew after this many progress windows in one run, to keep histories small. */
  continueAsNewAfterWindows: number;
}

export const DEFAULT_FEEDBACK_RULES: FeedbackRules = {
  supplementWorkingDays: 10,
  continueAsNewAfterWindows: 6,
};

/** How the item reached each agency: the classifications (Art 42.3), and escalations at a later stage (Art 42.3đ). */
export interface ClassificationRecord {
  round: number;
  decision: ClassifyInput['decision'];
  agency: string;
  at: string;
  by: string;
  reason?: string;
  toAgency?: string;
  /** An escalation after classification: its ground and the status the item had. */
  ground?: EscalationGround;
  fromStatus?: FeedbackStatus;
}

export interface CoordinationRecord {
  agency: string;
  request: string;
  requestedAt: string;
  requestedBy: string;
  answer?: string;
  answeredAt?: string;
  answeredBy?: string;
}

export interface ResultRecord {
  /** Revision of the answer within the case, from 1 (a return by the reviewer asks for a new one). */
  revision: number;
  answer: string;
  resultObtainedAt: string;
  enteredAt: string;
  enteredBy: string;
  agency: string;
}

export interface ProgressRecord {
  count: number;
  lastAt: string;
  lastNote: string;
}

export interface FeedbackState {
  itemId: string;
  submission: FeedbackSubmission;
  /** Hash of the intake body: an idempotent replay must carry the same submission. */
  fingerprint: string;
  submittedBy: ActorRef;
  /** The agency the citizen addressed (or VPCP for an escalation item). */
  receivingAgency: string;
  /** The agency handling it now: changes on transfer (Art 42.3c) and escalation (Art 42.3đ). */
  agency: string;
  /** Every agency that handled or coordinated on it: they may read it. */
  involvedAgencies: string[];
  status: FeedbackStatus;
  /** A round is one receipt: intake, a supplement, a transfer or an escalation; its clocks count from roundStartedAt. */
  round: number;
  receivedAt: string;
  roundStartedAt: string;
  /** When the current handling agency accepted it (progress windows never start before). */
  acceptedAt?: string;
  /** The published item this one escalates (a citizen disagreeing with an answer, Art 42.3đ). */
  escalatedFrom?: string;
  classifications: ClassificationRecord[];
  supplements: { at: string; content: string; by: string }[];
  coordination: CoordinationRecord[];
  progress?: ProgressRecord;
  /** Number of the current progress window (Art 44.1), 0 before the first one. */
  progressWindow: number;
  result?: ResultRecord;
  reviews: { at: string; by: string; decision: ReviewInput['decision']; reason?: string; resultRevision: number }[];
  publishedAt?: string;
  closedReason?: string;
  /** The most recent actions (the full log is in `feedback_actions`). */
  actions: ActionRecord[];
  actionSeq: number;
  /** Monotonic: the projection keeps only the newest. */
  revision: number;
}

export interface FeedbackView extends FeedbackState {
  workflowId: string;
  /** Art 45.1–45.2: who checks and publishes the answer — the body that received and dispatched the item. */
  reviewingAgency: string;
  /** The rule set the item runs under (its periods and articles; domain/rules). */
  ruleSetId: string;
  actionsAllowed: FeedbackAction[];
  clocks: SlaClock[];
}

export interface FeedbackWorkflowInput {
  itemId: string;
  submission: FeedbackSubmission;
  submittedBy: ActorRef;
  fingerprint: string;
  /** Receipt instant when an officer types in an item received earlier (Art 42.2b); else workflow time. */
  receivedAt?: string;
  escalatedFrom?: string;
  rules?: Partial<FeedbackRules>;
  /**
   * The rule set in force when the item was received (or named by VPCP), resolved by the API, with
   * the feedback periods; carried across continue-as-new. Absent from items started before rule sets
   * existed: the 2020 baseline applies (the same values the code had).
   */
  ruleSet?: CaseRuleSet;
  /** Set by continueAsNew: the state and the open clocks of the previous run. */
  carried?: { state: FeedbackState; clocks: SlaClock[]; startRound: boolean };
}

export interface FeedbackOutcome {
  itemId: string;
  status: FeedbackStatus;
  round: number;
}

interface Acting {
  actor: ActorRef;
}

export interface ClassifyInput extends Acting {
  /** Art 42.3: a) reject, b) clarify, c) transfer, d) accept, đ) escalate to VPCP. */
  decision: 'reject' | 'clarify' | 'transfer' | 'accept' | 'escalate';
  /** Required for reject (the reasons, Art 42.3a), clarify (what to supplement), transfer and escalate. */
  reason?: string;
  /** For transfer: the competent agency (the API checks it exists). */
  toAgency?: string;
}
export interface SupplementInput extends Acting {
  content: string;
  /** For a Portal supplement: must be the account that sent the item. */
  portalAccountId?: string;
}
export interface CoordinateInput extends Acting {
  agencies: string[];
  request: string;
}
export interface AnswerCoordinationInput extends Acting {
  answer: string;
}
export interface ProgressInput extends Acting {
  note: string;
}
export interface ResultInput extends Acting {
  answer: string;
  /** When the handler had the result (Art 44.2: it must be entered within 2 working days). */
  resultObtainedAt: string;
}
export interface ReviewInput extends Acting {
  decision: 'approve' | 'return';
  reason?: string;
}
export interface PublishInput extends Acting {
  /**
   * The public version of the question, approved by the publishing officer: the citizen's question
   * with personal details removed (project rule, Art 45.1 — the Portal publishes the answer, not the
   * sender's data). Required of every publication since it was introduced; absent from older histories.
   */
  publicQuestion?: string;
}

/** Art 42.3đ: the Government's or the PM's competence, or agencies that cannot agree on how to handle it. */
export const ESCALATION_GROUNDS = ['government-authority', 'agencies-disagree'] as const;
export type EscalationGround = (typeof ESCALATION_GROUNDS)[number];
export interface EscalateInput extends Acting {
  ground: EscalationGround;
  reason: string;
}
/** Art 44.3: no free text — whatever the officer would write could itself be the secret. */
export type RemoveStateSecretInput = Acting;

export const feedbackStateQuery = defineQuery<FeedbackView>('feedbackState');

export const classifyFeedbackUpdate = defineUpdate<FeedbackView, [ClassifyInput]>('classifyFeedbackUpdate');
export const supplementFeedbackUpdate = defineUpdate<FeedbackView, [SupplementInput]>('supplementFeedbackUpdate');
export const coordinateFeedbackUpdate = defineUpdate<FeedbackView, [CoordinateInput]>('coordinateFeedbackUpdate');
export const answerCoordinationFeedbackUpdate = defineUpdate<FeedbackView, [AnswerCoordinationInput]>('answerCoordinationFeedbackUpdate');
export const progressFeedbackUpdate = defineUpdate<FeedbackView, [ProgressInput]>('progressFeedbackUpdate');
export const resultFeedbackUpdate = defineUpdate<FeedbackView, [ResultInput]>('resultFeedbackUpdate');
export const reviewFeedbackUpdate = defineUpdate<FeedbackView, [ReviewInput]>('reviewFeedbackUpdate');
export const publishFeedbackUpdate = defineUpdate<FeedbackView, [PublishInput]>('publishFeedbackUpdate');
export const escalateFeedbackUpdate = defineUpdate<FeedbackView, [EscalateInput]>('escalateFeedbackUpdate');
export const removeStateSecretFeedbackUpdate = defineUpdate<FeedbackView, [RemoveStateSecretInput]>('removeStateSecretFeedbackUpdate');

/** Clock keys: one set per round, progress windows numbered within the round. */
export const clockKeys = {
  classify: (round: number) => `classify#${round}`,
  notAccepted: (round: number) => `notAccepted#${round}`,
  answer: (round: number) => `answer#${round}`,
  supplement: (round: number) => `supplement#${round}`,
  progress: (round: number, window: number) => `progress#${round}.${window}`,
  resultEntry: (round: number, revision: number) => `resultEntry#${round}.${revision}`,
};

/** The reason given to a sender of state-secret content (Art 44.3), in Vietnamese and English. */
export const STATE_SECRET_REFUSAL = {
  article: 'Art 44.3',
  reasonVi:
    'Phản ánh, kiến nghị có nội dung liên quan đến bí mật nhà nước phải được xử lý theo chế độ mật, ' +
    'không được cập nhật trên Hệ thống thông tin tiếp nhận, trả lời phản ánh, kiến nghị (Điều 44.3).',
  reason:
    'Feedback involving state secrets must be handled under the state-secret regime and may not be entered ' +
    'into the Portal feedback system (Art 44.3).',
};

/** The reason recorded when an item is found during processing to involve state secrets (Art 44.3). */
export const STATE_SECRET_REMOVAL = {
  article: 'Art 44.3',
  reasonVi:
    'Trong quá trình xử lý phát hiện phản ánh, kiến nghị có thông tin thuộc bí mật nhà nước: việc trả lời được thực hiện ' +
    'theo chế độ mật, nội dung đã được gỡ khỏi Hệ thống thông tin tiếp nhận, trả lời phản ánh, kiến nghị (Điều 44.3).',
  reason:
    'Found during processing to involve state secrets: it is answered under the state-secret regime and its content ' +
    'was removed from the Portal feedback system (Art 44.3).',
};
