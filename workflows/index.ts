// workflowsPath barrel: every workflow type the worker runs.
export { diagnosticWorkflow } from './diagnostic.workflow.js';
export { tthcDecisionWorkflow } from './tthc.workflow.js';
export { tthcReviewWorkflow } from './tthc-review.workflow.js';
export { dvcttWorkflow } from './dvctt.workflow.js';
export { feedbackWorkflow } from './feedback.workflow.js';
export { paymentWorkflow } from './payment.workflow.js';
export { reconciliationWorkflow, dailyReconciliationWorkflow } from './reconciliation.workflow.js';
export { discrepancyWorkflow } from './discrepancy.workflow.js';
export { refundWorkflow } from './refund.workflow.js';
export { recordSweepWorkflow } from './record.workflow.js';
export { consistencyCheckWorkflow } from './consistency.workflow.js';
export { recomputeClocksWorkflow } from './recompute.workflow.js';
export { auditReplayWorkflow } from './audit.workflow.js';
export { evaluationWorkflow } from './evaluation.workflow.js';
export { accountIssueWorkflow, accountInactivityWorkflow } from './account.workflow.js';
export { securityServerChangeWorkflow, maintenanceWorkflow } from './operations.workflow.js';
export { supportRequestWorkflow } from './operations-support.workflow.js';
export { connectionMonitorWorkflow } from './operations-monitor.workflow.js';
