import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Database } from '../db/client.js';
import { workflowsWithStaleClocks } from '../db/queries/sla.js';
import type { ActorRef } from '../workflows/actors.js';
import type { RecomputeCaseResult } from '../workflows/recompute.definitions.js';
import { recomputeSlaClocksUpdate } from '../workflows/sla.definitions.js';

const CASE_TIMEOUT_MS = 10_000;

export function createRecomputeActivities(db: Database, temporal: Client | undefined) {
  return {
    /** The next cases (by id, after `after`) with open clocks computed on an older calendar version. */
    async staleClockCases(input: { calendarVersion: number; process?: string; workflowIds?: string[]; after?: string; limit: number }): Promise<string[]> {
      return workflowsWithStaleClocks(db, input.calendarVersion, input);
    },

    /**
     * Sends one case the recompute update (the case validates and records it). A refusal or an
     * unreachable case is a result (`failed`, with why), not a retry: VPCP reads it and may re-run.
     */
    async recomputeCaseClocks(input: { workflowId: string; actor: ActorRef; reason: string }): Promise<RecomputeCaseResult> {
      if (!temporal) throw new Error('recomputeCaseClocks needs a Temporal client (ActivityDeps.temporal)');
      try {
        const { recomputed } = await temporal.withDeadline(Date.now() + CASE_TIMEOUT_MS, () =>
          temporal.workflow.getHandle(input.workflowId).executeUpdate(recomputeSlaClocksUpdate, {
            args: [{ actor: input.actor, reason: input.reason }],
            // One update per case and job: a retried activity does not recompute twice.
            updateId: `${Context.current().info.workflowExecution?.workflowId ?? 'recompute'}:${input.workflowId}`.slice(0, 400),
          }),
        );
        return { workflowId: input.workflowId, status: recomputed.length > 0 ? 'recomputed' : 'unchanged', recomputed };
      } catch (err) {
        return { workflowId: input.workflowId, status: 'failed', error: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}
