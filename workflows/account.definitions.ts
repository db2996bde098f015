/**
 * Portal accounts, Regulation Art 13 (SPEC.md P6). What callers need: the account-issue workflow's
 * input, view, updates and id builder (Art 13.1), and the inactivity sweep's input and result
 * (Art 13.2). The API imports only this.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ActionRecord, ActorRef } from './actors.js';
import type { CaseRuleSet, SlaClock } from './sla.definitions.js';

export const ACCOUNT_PROCESS = 'account';

export const accountIssueWorkflowId = (caseId: string): string => `${ACCOUNT_PROCESS}-${caseId}`;

/** Art 13.1: wrong identity data of the account, or a complaint about it. */
export const ACCOUNT_ISSUE_KINDS = ['complaint', 'wrong-identity-data'] as const;
export type AccountIssueKind = (typeof ACCOUNT_ISSUE_KINDS)[number];

/** Art 13.1 names the support line (Tổng đài hỗ trợ); the Portal front end is a project rule. */
export const ACCOUNT_ISSUE_CHANNELS = ['support-line', 'portal'] as const;
export type AccountIssueChannel = (typeof ACCOUNT_ISSUE_CHANNELS)[number];

/**
 * The Portal operator who keeps every Art 13 clock (project rule: the Regulation says "the Portal";
 * VPCP runs it). Breaches of these clocks count against it.
 */
export const ACCOUNT_CLOCK_OWNER = 'VPCP';

/** The account owner (chủ thể của tài khoản): personal data, only ever in encrypted workflow payloads. */
export interface AccountOwner {
  name: string;
  phone?: string;
  email?: string;
}

export interface AccountIssueSubmission {
  accountId: string;
  kind: AccountIssueKind;
  channel: AccountIssueChannel;
  owner: AccountOwner;
  description: string;
}

export type AccountIssueStatus =
  | 'received' // tiếp nhận thông báo
  | 'parties-notified' // đã thông báo các bên liên quan (Art 13.1, 24 giờ)
  | 'accepted' // tiếp nhận xử lý chính thức (Art 13.1)
  | 'resolved' // đã xử lý, kết quả đã báo chủ tài khoản (48 giờ)
  | 'rejected'; // không có cơ sở xử lý, lý do đã báo chủ tài khoản

export const ACCOUNT_ISSUE_STATUSES = ['received', 'parties-notified', 'accepted', 'resolved', 'rejected'] as const satisfies readonly AccountIssueStatus[];
export const FINAL_ACCOUNT_ISSUE_STATUSES: readonly AccountIssueStatus[] = ['resolved', 'rejected'];

export type AccountIssueAction = 'notifyParties' | 'accept' | 'resolve';

export interface AccountIssueState {
  caseId: string;
  submission: AccountIssueSubmission;
  /** Hash of the intake body: an idempotent replay must carry the same submission. */
  fingerprint: string;
  submittedBy: ActorRef;
  status: AccountIssueStatus;
  receivedAt: string;
  parties: string[];
  partiesNotifiedAt?: string;
  acceptedAt?: string;
  closedAt?: string;
  result?: string;
  actions: ActionRecord[];
  actionSeq: number;
  /** Monotonic: the projection keeps only the newest. */
  revision: number;
}

export interface AccountIssueView extends AccountIssueState {
  workflowId: string;
  actionsAllowed: AccountIssueAction[];
  clocks: SlaClock[];
}

export interface AccountIssueWorkflowInput {
  caseId: string;
  submission: AccountIssueSubmission;
  submittedBy: ActorRef;
  fingerprint: string;
  /** A support-line call typed in after it was taken: when it was received; else workflow time. */
  receivedAt?: string;
  /** The rule set in force at receipt, pinned by the API (absent before rule sets existed: the 2020 baseline). */
  ruleSet?: CaseRuleSet;
}

export interface AccountIssueOutcome {
  caseId: string;
  status: AccountIssueStatus;
}

interface Acting {
  actor: ActorRef;
}
export interface NotifyPartiesInput extends Acting {
  /** Codes of the related parties (identity providers, agencies) asked to coordinate. */
  parties: string[];
  message: string;
}
export type AcceptInput = Acting;
export interface ResolveInput extends Acting {
  outcome: 'resolved' | 'rejected';
  /** What the owner is told (the result, or why nothing was changed). */
  result: string;
}

export const accountIssueStateQuery = defineQuery<AccountIssueView>('accountIssueState');
export const notifyPartiesAccountUpdate = defineUpdate<AccountIssueView, [NotifyPartiesInput]>('notifyPartiesAccountUpdate');
export const acceptAccountUpdate = defineUpdate<AccountIssueView, [AcceptInput]>('acceptAccountUpdate');
export const resolveAccountUpdate = defineUpdate<AccountIssueView, [ResolveInput]>('resolveAccountUpdate');

/** Clock keys of an account issue. */
export const accountClockKeys = { notifyParties: 'notifyParties', result: 'result' } as const;

// ---- Art 13.2: inactivity ----------------------------------------------------------------------

/** The daily Schedule that runs the inactivity sweep (one per namespace). */
export const ACCOUNT_INACTIVITY_SCHEDULE_ID = 'account-inactivity-sweep';
export const ACCOUNT_INACTIVITY_INTERVAL = '1 day';

/**
 * Art 13.2 as data of the rule set: two years without activity after the last login, then a lock
 * notice once a month for the next two months; locked after the last notice (project rule: one
 * month after it, so the second notice also gives a full month). PostgreSQL intervals.
 */
export const INACTIVITY_RULES = {
  article: 'Art 13.2',
  inactiveFor: '2 years',
  noticeEvery: '1 month',
  notices: 2,
} as const;

/** Stages of an account in `accounts.notice_stage`. */
export const NOTICE_STAGE = { active: 0, firstNotice: 1, secondNotice: 2, locked: 3 } as const;

export interface InactivitySweepInput {
  /** Accounts handled per activity call (default 500). */
  batchSize?: number;
  /** Carried over continue-as-new. */
  totals?: InactivitySweepTotals;
}

export interface InactivitySweepTotals {
  firstNotices: number;
  secondNotices: number;
  locked: number;
  /** Due accounts whose activity arrived while they were handled: left alone. */
  skipped: number;
}

export interface InactivityStepResult extends InactivitySweepTotals {
  /** Due accounts read in this call (fewer than the batch size: none left). */
  read: number;
}
