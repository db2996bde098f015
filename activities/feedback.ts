import type { Database } from '../db/client.js';
import {
  insertFeedbackAction,
  insertPublishedAnswer,
  removeFeedbackItemContent,
  upsertFeedbackItem,
  type FeedbackItemProjection,
  type FeedbackSubmissionRow,
  type PublishedAnswerRow,
} from '../db/queries/feedback.js';
import type { ActionRecord } from '../workflows/actors.js';

export interface RecordFeedbackChangeInput {
  item: FeedbackItemProjection;
  /** Only at intake: the row is created once with the submission. */
  submission?: FeedbackSubmissionRow;
  action?: ActionRecord;
}

/** Persistence of citizen feedback (Art 36–45): the workflow decides, these record, idempotently. */
export function createFeedbackActivities(db: Database) {
  return {
    /** One transaction: the action (keyed by workflow id + seq) and the item projection (newer revision wins). */
    async recordFeedbackChange(input: RecordFeedbackChangeInput): Promise<void> {
      await db.transaction(async (tx) => {
        await upsertFeedbackItem(tx, input.item, input.submission);
        if (input.action) await insertFeedbackAction(tx, input.item.workflowId, input.action);
      });
    },

    /** Art 45.1: the answer becomes public on the Portal; once per item. */
    async publishFeedbackAnswer(row: PublishedAnswerRow): Promise<void> {
      await insertPublishedAnswer(db, row);
    },

    /** Art 44.3: the item's content leaves the read models; the content-free record stays. Idempotent. */
    async removeFeedbackContent(input: { itemId: string; workflowId: string }): Promise<void> {
      await removeFeedbackItemContent(db, input);
    },
  };
}
