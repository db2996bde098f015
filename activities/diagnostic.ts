import { eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { diagnosticProbes } from '../db/schema/index.js';

export function createDiagnosticActivities(db: Database) {
  return {
    /** Idempotent on the workflow id: a retry returns the row the first attempt wrote. */
    async recordDiagnosticProbe(input: { workflowId: string; requestedBy: string }): Promise<{ writtenAt: string }> {
      await db.insert(diagnosticProbes).values(input).onConflictDoNothing();
      const [row] = await db
        .select({ writtenAt: diagnosticProbes.writtenAt })
        .from(diagnosticProbes)
        .where(eq(diagnosticProbes.workflowId, input.workflowId));
      if (!row) throw new Error(`probe ${input.workflowId} not found after insert`);
      return { writtenAt: row.writtenAt.toISOString() };
    },
  };
}
