import { and, asc, eq } from 'drizzle-orm';
import type { Executor } from '../client.js';
import { auditReads } from '../schema/index.js';

export type AuditReadAction = (typeof auditReads.action.enumValues)[number];

export interface AuditReadInput {
  userId: string;
  role: string;
  agency?: string;
  action: AuditReadAction;
  workflowId?: string;
  outcome: (typeof auditReads.outcome.enumValues)[number];
  requestId: string;
  sha256?: string;
  detail?: string;
}

export async function recordAuditRead(db: Executor, input: AuditReadInput): Promise<void> {
  await db.insert(auditReads).values({
    ...input,
    agency: input.agency ?? null,
    workflowId: input.workflowId ?? null,
    sha256: input.sha256 ?? null,
    detail: input.detail ?? null,
  });
}

/** The history exports of a case that were issued with this hash (empty: this server never issued it). */
export function findIssuedExports(db: Executor, params: { workflowId: string; sha256: string }) {
  return db
    .select({ at: auditReads.at, userId: auditReads.userId, role: auditReads.role, agency: auditReads.agency })
    .from(auditReads)
    .where(and(
      eq(auditReads.action, 'history'),
      eq(auditReads.outcome, 'granted'),
      eq(auditReads.workflowId, params.workflowId),
      eq(auditReads.sha256, params.sha256),
    ))
    .orderBy(asc(auditReads.at));
}
