/** P1 data types (pure): read by the workflows, the activities, the API and the data layer. */
import type { ActionRecord, ActorRef } from '../processes/actors.js';
import type { CaseRuleSet } from '../rules/types.js';

/**
 * P1 — TTHC lifecycle in the National TTHC Database (Regulation Art 14–20, 24–25): one workflow
 * per publication decision (Quyết định công bố TTHC) and one per quality review (Art 24.2a).
 */
export const TTHC_PROCESS = 'tthc';
export const TTHC_REVIEW_PROCESS = 'tthc-review';

export type AuthorityKind = 'minister' | 'provincial-chairman' | 'shortened-procedure';
export type PublisherKind = 'ministry' | 'sector' | 'province';
export type TthcLevel = 'central' | 'provincial' | 'district' | 'commune';

/** The components of a TTHC (Decree 63/2010 Art 8.2). Optional here: the Art 16.4 check lists what is missing. */
export interface TthcComponents {
  /** Trình tự thực hiện. */
  steps?: string[];
  /** Cách thức thực hiện: 'online', 'post', 'in-person', … */
  channels?: string[];
  /** Thành phần, số lượng hồ sơ. */
  dossier?: { name: string; copies?: number }[];
  /** Thời hạn giải quyết, as stated, e.g. '15 ngày làm việc'. */
  processingTime?: string;
  /** Đối tượng thực hiện. */
  subjects?: string[];
  /** Kết quả thực hiện. */
  result?: string;
  /** Phí, lệ phí: an empty list states that there is none. */
  fees?: { name: string; amountVnd: number }[];
  /** Căn cứ pháp lý. */
  legalBasis?: string[];
  /** Yêu cầu, điều kiện (optional in the Decree). */
  requirements?: string[];
  /** Địa điểm thực hiện (localized copies). */
  place?: string;
}

export interface TthcContent {
  name?: string;
  /** Lĩnh vực. */
  field?: string;
  level?: TthcLevel;
  implementingAgency?: string;
  components: TthcComponents;
}

/** A provincial legal act (văn bản quy định chi tiết thuộc thẩm quyền của cấp tỉnh) a localization rests on. */
export interface ProvincialAct {
  /** Số, ký hiệu, e.g. '25/2026/QĐ-UBND'. */
  number: string;
  /** Local date it was issued (YYYY-MM-DD); not after the localizing decision was signed. */
  issuedOn: string;
  title?: string;
}

/**
 * What a province adds when it localizes a central TTHC (Art 17.2): time, place, implementing and
 * authorized agency, fees, and the provincial acts those details rest on.
 */
export interface LocalDetails {
  implementingAgency?: string;
  /** Cơ quan được ủy quyền thực hiện thủ tục hành chính. */
  authorizedAgency?: string;
  level?: TthcLevel;
  processingTime?: string;
  place?: string;
  fees?: { name: string; amountVnd: number }[];
  /** The provincial legal basis of the local details (Art 17.2): at least one act, checked by Art 16.4. */
  legalBasis?: ProvincialAct[];
}

/** What a localized version records of its localization (Art 17.2), shown with the version. */
export interface LocalizationRecord {
  authorizedAgency?: string;
  legalBasis: ProvincialAct[];
}

/** One TTHC listed in a decision, by kind (Art 17–20). */
export type DecisionItem =
  /** Art 17: a new TTHC, full content. */
  | { kind: 'new'; code: string; content: TthcContent }
  /** Art 20: a new TTHC performed through the interconnected procedure with the listed TTHCs. */
  | { kind: 'interconnected'; code: string; content: TthcContent; interconnectedWith: string[] }
  /** Art 18: a new version of a published TTHC; `baseVersion` is the version it amends. */
  | { kind: 'amended'; code: string; baseVersion: number; content: TthcContent }
  /** Art 19: the TTHC ends. */
  | { kind: 'repealed'; code: string }
  /** Art 17.2 / 18.2: a province's copy of a published central TTHC, with local details. */
  | { kind: 'localized'; centralCode: string; local: LocalDetails };

export type DecisionItemKind = DecisionItem['kind'];

/** A missing component or a mismatch with the catalogue found by the Art 16.4 check. */
export interface CheckGap {
  /** The item's TTHC code (a localized item: the code its copy will have). */
  code: string;
  /** The component or rule, e.g. 'components.dossier', 'baseVersion'. */
  component: string;
  problem: string;
}

/** Decree 63 Art 15: was the decision issued early enough before its legal document takes effect? */
export interface IssueTiming {
  applicable: boolean;
  rule: string;
  requiredAmount: number;
  requiredUnit: 'workingDays' | 'calendarDays';
  /** End of the required lead period counted from signing; on time when it ends before the effective day. */
  leadEndsAt?: string;
  late: boolean;
  detail: string;
  detailVi: string;
}

export interface TthcPublishResult {
  decisionId: string;
  publishedAt: string;
  versions: { code: string; version: number; kind: DecisionItemKind }[];
  /** Art 19.1: provinces' localized copies repealed with the central TTHC. */
  cascaded: { code: string; centralCode: string; province: string; version: number }[];
  /** Art 18.2: provinces' localized copies whose central TTHC this decision amended. */
  flagged: { code: string; centralCode: string; centralVersion: number; province: string }[];
}

export interface StartTthcDecisionInput {
  decisionId: string;
  number: string;
  title: string;
  agency: string;
  agencyKind: PublisherKind;
  authorityKind: AuthorityKind;
  /** Local date the decision was signed: the entry-and-publication clock counts from it. */
  signedOn: string;
  /**
   * Local date the underlying legal document takes effect (Decree 63 Art 15). The decision's
   * versions and repeals are in force from the start of that day (Art 16.5, 19.1), whenever published.
   */
  legalEffectiveOn: string;
  /** Who signed the decision (name and title), made public with it (Art 16.5). */
  signer?: string;
  createdBy: ActorRef;
  /** The rule set in force when the decision was entered, pinned by the API (absent before rule sets existed: the 2020 baseline). */
  ruleSet?: CaseRuleSet;
}

export type DecisionStage = 'entering' | 'checked' | 'published';

export interface TthcDecisionState extends Omit<StartTthcDecisionInput, 'createdBy' | 'ruleSet'> {
  stage: DecisionStage;
  items: DecisionItem[];
  issueTiming?: IssueTiming;
  lastCheck?: { at: string; gaps: CheckGap[] };
  publication?: TthcPublishResult;
  actions: ActionRecord[];
}

export interface AddItemsInput {
  actor: ActorRef;
  items: DecisionItem[];
  /** Codes (or central codes of localized items) to take off the decision. */
  remove?: string[];
}
export interface ActorInput {
  actor: ActorRef;
}

/** What entering items answers: where the decision stands (its items and their content come from the query). */
export interface TthcDecisionSummary {
  decisionId: string;
  stage: DecisionStage;
  itemCount: number;
  lastCheck?: { at: string; gapCount: number };
  /** Sequence of the last recorded action. */
  actionSeq: number;
}

// ── Quality review (Art 24.2a) ───────────────────────────────────────────────────────────────

export interface ReviewFinding {
  /** Art 24.1: a) completeness, b) accuracy, c) timeliness. */
  criterion: 'completeness' | 'accuracy' | 'timeliness';
  component: string;
  detail: string;
}

export interface ReviewRound {
  round: number;
  requestedAt: string;
  dueAt?: string;
  fix?: { at: string; by: string; note: string; corrected: boolean };
  decision?: { at: string; by: string; outcome: 'accepted' | 'returned'; reason?: string };
}

export type ReviewStage = 'awaiting-fix' | 'fix-submitted' | 'accepted';

export interface StartTthcReviewInput {
  reviewId: string;
  code: string;
  version: number;
  /** The agency that published the TTHC: it must fix the data. */
  agency: string;
  findings: ReviewFinding[];
  openedBy: ActorRef;
  /** The rule set in force when VPCP opened the review, pinned by the API (absent before rule sets existed). */
  ruleSet?: CaseRuleSet;
}

export interface TthcReviewState extends Omit<StartTthcReviewInput, 'openedBy' | 'ruleSet'> {
  stage: ReviewStage;
  rounds: ReviewRound[];
  /** The version written by the accepted correction, if the fix changed the content. */
  correctedVersion?: number;
  pendingCorrection?: TthcComponents;
  actions: ActionRecord[];
}

export interface SubmitFixInput {
  actor: ActorRef;
  note: string;
  /** The corrected components; published as a new version of the TTHC when VPCP accepts the fix. */
  components?: TthcComponents;
}

export interface DecideFixInput {
  actor: ActorRef;
  outcome: 'accept' | 'return';
  reason?: string;
}
