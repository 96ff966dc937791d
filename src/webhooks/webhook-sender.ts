import { Webhook } from 'standardwebhooks';

export interface WebhookMessage {
  /** Stable per event: the same id on every retry lets consumers de-duplicate. */
  id: string;
  url: string;
  secret: string;
  body: unknown;
}

export class WebhookDeliveryError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

/** Signs with the Standard Webhooks scheme (library `standardwebhooks`) and POSTs the event. */
export class WebhookSender {
  constructor(private readonly timeoutMs: number) {}

  async send(message: WebhookMessage): Promise<{ status: number }> {
    const payload = JSON.stringify(message.body);
    const timestamp = new Date();
    const signature = new Webhook(message.secret).sign(message.id, timestamp, payload);
    let res: Response;
    try {
      res = await fetch(message.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Intake-Webhooks/1',
          'webhook-id': message.id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body: payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new WebhookDeliveryError(`POST ${message.url} failed: ${(err as Error).message}`, null);
    }
    // Drain the body so the connection can be reused.
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status > 299) {
      throw new WebhookDeliveryError(`POST ${message.url} answered ${res.status}`, res.status);
    }
    return { status: res.status };
  }
}
