import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Database } from '../db/client.js';
import { claimBusinessKey, markKeyStarted } from '../db/queries/record.js';
import { canonicalJson, sha256Hex } from '../domain/audit/export.js';
import { problem } from './errors.js';

/** Reads of a case whether or not Temporal still holds it: shared with the worker (record/cases.ts). */
export { describeCase, loadCaseRuns, queryCase, type CaseInfo, type CaseRun } from '../record/cases.js';

export interface BusinessKey {
  /** What the key names: `payment`, `feedback`, `tthc-decision`, `dvctt-service`, `refund`. */
  kind: string;
  key: string;
  workflowId: string;
  /** What makes a request "the same" under this key (hashed in canonical form). */
  content: unknown;
  /** The problem detail when the key was used with other content. */
  conflict: string;
}

/**
 * Starts a case's workflow once per business key, forever. The key is claimed in PostgreSQL
 * before the start, so a retry long after the case closed and was purged from Temporal is still
 * recognised: other content → 409 already-exists; the same content → WorkflowExecutionAlreadyStartedError,
 * which the route answers with the existing case (200), exactly as while Temporal still had it.
 * A claim whose start never happened (a crash in between) is started by the retry.
 */
export async function startOnce(
  { db }: { db: Database },
  business: BusinessKey,
  start: () => Promise<unknown>,
  /**
   * The write after the start that also marks the key started, in the same statement (a payment's
   * first projection row: `landStartedPayment`; a refund's: `landStartedRefund`): one round trip instead of two. Without it the key
   * is marked on its own.
   */
  landStarted?: () => Promise<unknown>,
): Promise<void> {
  const claim = await claimBusinessKey(db, {
    kind: business.kind, key: business.key, workflowId: business.workflowId, contentSha256: sha256Hex(canonicalJson(business.content)),
  });
  if (claim.outcome === 'conflict') throw problem('already-exists', business.conflict);
  if (claim.outcome === 'same' && claim.started) {
    throw new WorkflowExecutionAlreadyStartedError(`${business.kind} ${business.key} was started before`, business.workflowId, '');
  }
  try {
    await start();
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      // Started before under this key with this content (a first attempt that died after its start,
      // or one still under way): its first row lands now (never over the workflow's own), so the
      // route answers from it without asking a workflow that may have no worker to answer.
      await (claim.outcome === 'same' && landStarted ? landStarted() : markKeyStarted(db, business.kind, business.key));
    }
    throw err;
  }
  await (landStarted ? landStarted() : markKeyStarted(db, business.kind, business.key));
}
