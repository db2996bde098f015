import { ApplicationFailure } from '@temporalio/common';
import type { Database } from '../db/client.js';
import {
  applyCorrection,
  type DecisionProjection,
  publishDecision,
  reconcileItems,
  TthcConflictError,
  upsertDecision,
  upsertReview,
} from '../db/queries/tthc.js';
import type {
  CheckGap,
  DecisionItem,
  PublisherKind,
  TthcComponents,
  TthcDecisionState,
  TthcPublishResult,
  TthcReviewState,
} from '../workflows/tthc.definitions.js';

/** A catalogue conflict is final for this attempt: retrying cannot help, the agency must rebase. */
function asFailure(err: unknown): never {
  if (err instanceof TthcConflictError) throw ApplicationFailure.nonRetryable(err.message, 'TthcConflict', err.gaps);
  throw err;
}

export function createTthcActivities(db: Database) {
  return {
    /** Art 16.4: completeness and reconciliation of the entered items against the catalogue. */
    async checkTthcDecision(input: { agency: string; agencyKind: PublisherKind; signedOn?: string; items: DecisionItem[] }): Promise<{ gaps: CheckGap[] }> {
      return { gaps: await reconcileItems(db, input) };
    },

    /**
     * Art 16.5 + 19.1: one transaction publishes every item and cascades repeals; idempotent on the
     * decision id. Versions and repeals are in force from the decision's effective day.
     */
    async publishTthcDecision(input: {
      decisionId: string; workflowId: string; agency: string; agencyKind: PublisherKind; items: DecisionItem[]; signedOn?: string; effectiveOn?: string;
    }): Promise<TthcPublishResult> {
      return publishDecision(db, input).catch(asFailure);
    },

    /** Art 24.2a: the accepted fix becomes a new version; idempotent on the review id. */
    async applyTthcCorrection(input: { reviewId: string; code: string; baseVersion: number; components: TthcComponents }): Promise<{ version: number; flagged: TthcPublishResult['flagged'] }> {
      return applyCorrection(db, input).catch(asFailure);
    },

    /** The decision's fields and its changed items (an attempt scheduled before issue 18.5: the whole state). */
    async projectTthcDecision(input: DecisionProjection | { workflowId: string; revision: number; state: TthcDecisionState }): Promise<void> {
      await upsertDecision(db, input);
    },

    async projectTthcReview(input: { workflowId: string; revision: number; state: TthcReviewState; openedAt: string; closedAt?: string }): Promise<void> {
      await upsertReview(db, input);
    },
  };
}
