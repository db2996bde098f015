import { ApplicationFailure } from '@temporalio/common';
import { isRefusedData, postgresMessageOf, sqlStateOf } from '../db/errors.js';

/** The failure type a workflow sees when PostgreSQL refused an activity's data. */
export const REFUSED_DATA = 'RefusedData';

type Activity = (...args: never[]) => unknown;

/**
 * Wraps every activity so that data PostgreSQL refuses (an invalid byte sequence, a value out of
 * range, a NOT NULL or CHECK violation) fails at once, non-retryable: retrying the same input
 * cannot succeed, and a retrying activity would hold its case for ever. The failure carries the
 * activity, the SQLSTATE and PostgreSQL's own message, never the query or its parameters (they
 * would land in the workflow history). Every other error is rethrown unchanged, for the retry
 * policy to deal with.
 */
export function failFastOnRefusedData<T extends Record<string, Activity>>(activities: T): T {
  const wrapped = Object.entries(activities).map(([name, activity]) => [
    name,
    async (...args: unknown[]) => {
      try {
        return await (activity as (...input: unknown[]) => unknown)(...args);
      } catch (err) {
        if (!isRefusedData(err)) throw err;
        throw ApplicationFailure.create({
          type: REFUSED_DATA,
          message: `${name}: PostgreSQL refused the data (SQLSTATE ${sqlStateOf(err)}): ${postgresMessageOf(err) ?? 'data exception'}`,
          nonRetryable: true,
        });
      }
    },
  ]);
  return Object.fromEntries(wrapped) as T;
}
