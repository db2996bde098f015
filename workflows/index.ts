// workflowsPath barrel: every workflow type the worker runs.
export { diagnosticWorkflow } from './diagnostic.workflow.js';
