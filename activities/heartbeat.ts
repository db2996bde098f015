import { Context } from '@temporalio/activity';

type Activity = (...args: never[]) => unknown;

/** The running activity's context, or undefined when an activity is called directly (tests, benchmarks). */
function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * Wraps every activity so that one started with a heartbeat timeout (the long profiles in
 * `workflows/activity-options.ts`) heartbeats while it runs, whatever it awaits: a set-based
 * transaction, a page of updates, a loop. The heartbeat proves only that the worker is alive,
 * which is what it is for: when a worker dies mid-activity, Temporal retries the activity
 * elsewhere after the heartbeat timeout (seconds), not after the start-to-close timeout (minutes).
 * Activities without a heartbeat timeout (the short ones) are called unchanged.
 */
export function heartbeatWhileRunning<T extends Record<string, Activity>>(activities: T): T {
  const wrapped = Object.entries(activities).map(([name, activity]) => [
    name,
    async (...args: unknown[]) => {
      const context = currentContext();
      const timeoutMs = context?.info.heartbeatTimeoutMs;
      if (!context || !timeoutMs) return (activity as (...input: unknown[]) => unknown)(...args);
      // Several beats per timeout: the SDK sends at most one per 0.8 × timeout, the latest of them.
      const beat = setInterval(() => context.heartbeat(), Math.max(200, Math.min(1_000, timeoutMs / 4)));
      try {
        return await (activity as (...input: unknown[]) => unknown)(...args);
      } finally {
        clearInterval(beat);
      }
    },
  ]);
  return Object.fromEntries(wrapped) as T;
}
