import type { DeadlineResult, DeadlineUnit } from '../domain/calendar/index.js';
import type { Database } from '../db/client.js';
import type { CalendarCache } from '../db/queries/calendar.js';
import { upsertSlaClock } from '../db/queries/sla.js';
import type { SlaClock } from '../workflows/sla.definitions.js';


export interface ComputeDeadlineInput {
  from: string;
  amount: number;
  unit: DeadlineUnit;
  /** Recorded with the input in history, so the event says which clock it is for. */
  clock: string;
  article: string;
  owner: string;
}

export function createSlaActivities(db: Database, calendars: CalendarCache) {
  return {
    /** Pure computation on the current calendar version; the result (with its explanation) lands in history. */
    async computeDeadline(input: ComputeDeadlineInput): Promise<DeadlineResult> {
      const calendar = await calendars.get();
      return calendar.computeDeadline({ from: input.from, amount: input.amount, unit: input.unit });
    },

    /** Idempotent: one row per (workflow, clock), replaced only by a newer revision. */
    async projectSlaClock(input: { workflowId: string; process: string; caseAgency: string; stage: string; clock: SlaClock }): Promise<void> {
      await upsertSlaClock(db, input);
    },
  };
}
