import type { WebhookDeliverer } from '../../webhooks/delivery.js';
import type { JobHandler } from '../job-queue.js';

/** webhook.sweep: re-queues deliveries whose job was lost and prunes the log; safe to run anywhere, any number of times. */
export function webhookSweepJob(deliverer: WebhookDeliverer): JobHandler<'webhook.sweep'> {
  return async () => {
    await deliverer.sweep();
  };
}
