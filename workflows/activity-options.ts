import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';

/**
 * The timeout and retry profiles of every `proxyActivities` call. Retries are bounded, with
 * exponential backoff: an activity that cannot succeed ends as a failure the workflow (and
 * supervision) can see, instead of retrying for ever and wedging its case. Activities turn data
 * PostgreSQL refuses into non-retryable failures themselves (`activities/errors.ts`); these
 * attempts are for transient faults (a restarting database, a lost worker), about 4 minutes in all,
 * at most 5 s apart: a case moves again within seconds of its database being back (a doubling
 * backoff could have it wait as long again as the outage had lasted).
 *
 * Timeouts are sized so that a case whose activity was running on a worker that died moves again
 * within seconds (README "Chaos suite"): a short write is retried after its start-to-close timeout;
 * a long activity heartbeats while it runs (`activities/heartbeat.ts`) and is retried after the
 * heartbeat timeout, its start-to-close timeout only bounding a live but stuck attempt.
 */
const retry: RetryPolicy = { initialInterval: '1 second', backoffCoefficient: 1.5, maximumInterval: '5 seconds', maximumAttempts: 50 };

/** A dead worker's long activity is retried this long after its last heartbeat. */
const HEARTBEAT_TIMEOUT = '5 seconds';

/** One short database write or read (a projection, an action record, a deadline, a notification): milliseconds when healthy. */
export const shortActivity: ActivityOptions = { startToCloseTimeout: '5 seconds', retry };

/** One transaction over many rows (a decision's items, a review correction, a page of a day's cases). */
export const batchActivity: ActivityOptions = { startToCloseTimeout: '2 minutes', heartbeatTimeout: HEARTBEAT_TIMEOUT, retry };

/**
 * The set-based comparison of a whole day: minutes at most even for millions of transactions. A
 * failed attempt is heavy to repeat, so its retries back off further (no case waits on it: the
 * day's run is a background job).
 */
export const reconciliationActivity: ActivityOptions = {
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 10 },
};

/** The readiness probe: it must answer quickly, so it gives up after a few tries. */
export const probeActivity: ActivityOptions = { startToCloseTimeout: '10 seconds', retry: { ...retry, maximumAttempts: 3 } };
