/**
 * Diagnostic process behind the deep readiness check (`/readyz?deep=1`): proves that a request
 * can reach the Temporal server, be picked up by a worker, and have an activity write to
 * PostgreSQL. Also the smallest example of the project's workflow layout.
 */
export const DIAGNOSTIC_PROCESS = 'diagnostic';

export interface DiagnosticInput {
  requestedBy: string;
  /** Optional workflow-time hold before finishing, e.g. '30 days' (used by time-skipping tests). */
  hold?: string;
}

export interface DiagnosticResult {
  workflowId: string;
  writtenAt: string;
  heldUntil?: string;
}

export const diagnosticWorkflowId = (nonce: string): string => `${DIAGNOSTIC_PROCESS}-${nonce}`;
