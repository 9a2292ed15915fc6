export { deliverBatch, Outbox, type Batch, type EventSink } from './outbox.ts';
export {
  DeliveryPipeline,
  PIPELINE_STOPPED,
  SPILL_BYTES,
  type PipelineOptions,
  type Progress,
  type ProgressSaved,
} from './pipeline.ts';
