import type { Database } from '../db/client.js';
import { projectDvctt, recordTthcRepeal } from '../db/queries/dvctt.js';
import type { DvcttProjection, TthcRepealNotice } from '../workflows/dvctt.definitions.js';

export function createDvcttActivities(db: Database) {
  return {
    /** Projects the service's publication status, the round touched and the action to PostgreSQL (idempotent). */
    async projectDvctt(input: DvcttProjection): Promise<void> {
      await projectDvctt(db, input);
    },

    /**
     * Art 19, 28.1: marks every service bound to a repealed TTHC (once: a retry changes nothing) and
     * answers which ones, so the repealing decision's workflow can signal their running cases.
     */
    async recordTthcRepealOnServices(input: { codes: string[]; notice: Omit<TthcRepealNotice, 'tthcCode'> }) {
      return recordTthcRepeal(db, input);
    },
  };
}
