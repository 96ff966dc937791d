import { DeliveryAttempts } from './delivery-attempts';
import { WebhookDeliveryStore } from './delivery-store';
import { WebhookEndpointStore } from './endpoint-store';
import { WebhookPublisher } from './event-publisher';

/** What both processes need: the API manages endpoints and replays, the worker publishes and delivers. */
export const webhookProviders = [WebhookEndpointStore, WebhookDeliveryStore, WebhookPublisher, DeliveryAttempts];
