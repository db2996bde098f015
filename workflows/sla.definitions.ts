import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { DeadlineUnit } from '../domain/calendar/types.js';
import type { ActorRef } from './actors.js';

/** Who must act for a clock; breaches count against them (a citizen's wait is not an agency breach). */
export type OwnerKind = 'agency' | 'vpcp' | 'bank' | 'citizen';
export type ClockOutcome = 'pending' | 'met' | 'breached' | 'cancelled';

/** What a process declares when a regulated step starts. */
export interface ClockSpec {
  /** Unique within the case, e.g. 'classify', 'answer', 'progress#3', 'vpcpReview#2'. */
  key: string;
  /** The legal source, e.g. 'Art 42.3a' (Regulation) or 'Decree 63/2010 Art 15' — or 'project rule'. */
  article: string;
  /** What must be done, in English and Vietnamese (shown to officers and auditors). */
  step: string;
  stepVi: string;
  owner: string;
  ownerKind: OwnerKind;
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
export interface SlaClock extends Omit<ClockSpec, 'from'> {
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

export interface RecomputeClocksInput {
  /** Only VPCP may move open clocks onto a new calendar version. */
  actor: ActorRef;
  reason: string;
}

export interface RecomputeClocksResult {
  recomputed: { key: string; previousDueAt: string; dueAt: string; calendarVersion: number }[];
}

/** Every workflow that keeps SLA clocks answers this query and accepts this update. */
export const slaClocksQuery = defineQuery<SlaClock[]>('slaClocks');
/** Explicit VPCP action after a calendar change: re-derive the due instants of open clocks. */
export const recomputeSlaClocksUpdate = defineUpdate<RecomputeClocksResult, [RecomputeClocksInput]>('recomputeSlaClocksUpdate');
