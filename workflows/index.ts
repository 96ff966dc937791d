// Entry point for the workflow bundle: every workflow type the worker registers.
export { incomingSweepWorkflow } from './incoming-sweep.workflow';
export { reprocessBatchWorkflow } from './reprocess-batch.workflow';
export { uploadWorkflow } from './upload.workflow';
export { uploadDeletionWorkflow } from './upload-deletion.workflow';
export { webhookDeliveryWorkflow } from './webhook-delivery.workflow';
