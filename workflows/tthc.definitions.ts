/**
 * P1 — TTHC lifecycle (Regulation Art 14–20, 24–25): the Temporal definitions callers need. The
 * data types live in domain/tthc (db/ and api/ read them too) and are re-exported from here.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { SlaClock } from '../domain/sla/clocks.js';
import {
  TTHC_PROCESS,
  TTHC_REVIEW_PROCESS,
  type ActorInput,
  type AddItemsInput,
  type CheckGap,
  type DecideFixInput,
  type DecisionStage,
  type StartTthcDecisionInput,
  type SubmitFixInput,
  type TthcDecisionState,
  type TthcDecisionSummary,
  type TthcPublishResult,
  type TthcReviewState,
} from '../domain/tthc/types.js';

export * from '../domain/tthc/types.js';

/**
 * The decision workflow's input: the API's start input, or — after continue-as-new (issue 18.5) —
 * the same with what the previous run carried over.
 */
export interface TthcDecisionWorkflowInput extends StartTthcDecisionInput {
  /** Continue as new at this many history events instead of when Temporal suggests it (tests and samples). */
  maxHistoryEvents?: number;
  carried?: TthcDecisionCarried;
}

export interface TthcDecisionCarried {
  state: TthcDecisionState;
  /** The projection's revision: monotonic over the whole case, so an older write never wins. */
  revision: number;
  /** Keys of the items entered, replaced or removed and not yet written to the projection. */
  unprojected: string[];
  /** The clocks still open (the publication clock). */
  clocks: SlaClock[];
}

export const addTthcItemsUpdate = defineUpdate<TthcDecisionSummary, [AddItemsInput]>('addTthcItemsUpdate');
export const checkTthcDecisionUpdate = defineUpdate<{ gaps: CheckGap[]; stage: DecisionStage }, [ActorInput]>('checkTthcDecisionUpdate');
export const publishTthcDecisionUpdate = defineUpdate<TthcPublishResult, [ActorInput]>('publishTthcDecisionUpdate');
export const tthcDecisionQuery = defineQuery<TthcDecisionState>('tthcDecision');

export const tthcDecisionWorkflowId = (decisionId: string): string => `${TTHC_PROCESS}-decision-${decisionId}`;

// ── Quality review (Art 24.2a) ───────────────────────────────────────────────────────────────

export const submitTthcFixUpdate = defineUpdate<TthcReviewState, [SubmitFixInput]>('submitTthcFixUpdate');
export const decideTthcFixUpdate = defineUpdate<TthcReviewState, [DecideFixInput]>('decideTthcFixUpdate');
export const tthcReviewQuery = defineQuery<TthcReviewState>('tthcReview');

export const tthcReviewWorkflowId = (reviewId: string): string => `${TTHC_REVIEW_PROCESS}-${reviewId}`;
