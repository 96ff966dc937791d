// Entry point for the workflow bundle: every workflow type the worker registers.
export { uploadWorkflow } from './upload.workflow';
