/**
 * The SLA clock as every layer sees it (SPEC §3): declared by a workflow, recorded in its history,
 * queried, and projected to `sla_clocks`. Pure types and one pure rule, so that `db/` and `api/`
 * read clocks without importing `workflows/`.
 */
import type { DeadlineUnit } from '../calendar/types.js';

/** Who must act for a clock; breaches count against them (a citizen's wait is not an agency breach). */
export type OwnerKind = 'agency' | 'vpcp' | 'bank' | 'citizen';
export type ClockOutcome = 'pending' | 'met' | 'breached' | 'cancelled';
/**
 * Whether a clock counts against its owner. `regulated`: a period set by the Regulation or a decree
 * — its breaches count in breach totals, case flags and on-time rates. `projectRule`: a period this
 * project set (e.g. an abandoned DVCTT loop) and `citizenWait`: a wait on the citizen or payer —
 * both shown with the case, never counted.
 */
export type ClockKind = 'regulated' | 'projectRule' | 'citizenWait';
export const CLOCK_KINDS = ['regulated', 'projectRule', 'citizenWait'] as const satisfies readonly ClockKind[];

/** What a process declares when a regulated step starts. */
export interface ClockSpec {
  /** Unique within the case, e.g. 'classify', 'answer', 'progress#3', 'vpcpReview#2'. */
  key: string;
  /** The legal source, e.g. 'Art 42.3a' (Regulation) or 'Decree 63/2010 Art 15' — or 'project rule'. */
  article: string;
  /**
   * The rule set the period and the article come from (domain/rules). Set by the SLA tracker from
   * the case's pinned rule set when the spec does not name one; absent only from clocks recorded
   * before rule sets existed (those ran under the 2020 draft baseline).
   */
  ruleSetId?: string;
  /** What must be done, in English and Vietnamese (shown to officers and auditors). */
  step: string;
  stepVi: string;
  owner: string;
  ownerKind: OwnerKind;
  /** Default (`clockKindOf`): `citizenWait` for a citizen owner, `projectRule` for an article "project rule …", else `regulated`. */
  kind?: ClockKind;
  amount: number;
  unit: DeadlineUnit;
  /** Case stage while this clock runs (search attribute DvcqgStage). */
  stage: string;
  /** ISO instant the period counts from; defaults to now (workflow time). */
  from?: string;
}

export interface ClockRecomputation {
  at: string;
  by: string;
  reason: string;
  previousDueAt: string;
  previousCalendarVersion: number;
}

/** An SLA clock as recorded in history, queried, and projected to `sla_clocks`. */
export interface SlaClock extends Omit<ClockSpec, 'from' | 'kind'> {
  /** Set by the tracker (clocks carried from runs before it existed get their default on seeding). */
  kind: ClockKind;
  startedAt: string;
  dueAt: string;
  dueLocal: string;
  calendarVersion: number;
  rule: string;
  explanation: string;
  explanationVi: string;
  outcome: ClockOutcome;
  breachedAt?: string;
  completedAt?: string;
  completedBy?: string;
  /** For a late completion: how late, in whole minutes past dueAt. */
  lateByMinutes?: number;
  cancelReason?: string;
  recomputations: ClockRecomputation[];
  /** Monotonic per clock: the projection keeps only the newest revision. */
  revision: number;
}

/**
 * The kind a clock has when its spec does not name one (also for clocks carried from runs before
 * kinds existed; the same rule backfilled `sla_clocks`): a citizen's wait, a period whose article
 * starts with "project rule", else a regulated period.
 */
export const clockKindOf = (clock: Pick<ClockSpec, 'kind' | 'ownerKind' | 'article'>): ClockKind =>
  clock.kind ?? (clock.ownerKind === 'citizen' ? 'citizenWait' : clock.article.startsWith('project rule') ? 'projectRule' : 'regulated');
