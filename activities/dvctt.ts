import type { Database } from '../db/client.js';
import { projectDvctt } from '../db/queries/dvctt.js';
import type { DvcttProjection } from '../workflows/dvctt.definitions.js';

export function createDvcttActivities(db: Database) {
  return {
    /** Projects the service's publication status, the round touched and the action to PostgreSQL (idempotent). */
    async projectDvctt(input: DvcttProjection): Promise<void> {
      await projectDvctt(db, input);
    },
  };
}
