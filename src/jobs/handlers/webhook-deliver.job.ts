import type { WebhookDeliverer } from '../../webhooks/delivery.js';
import type { JobHandler } from '../job-queue.js';

/**
 * webhook.deliver: one attempt of one delivery. Idempotent: a finished delivery, one not
 * yet due or one another worker holds is left alone; a failed HTTP attempt is recorded and
 * the next one queued by the deliverer, so only database errors make this job fail.
 */
export function webhookDeliverJob(deliverer: WebhookDeliverer): JobHandler<'webhook.deliver'> {
  return async ({ deliveryId }) => {
    await deliverer.deliver(deliveryId);
  };
}
