import { Webhook } from 'standardwebhooks';
import type { AppConfig } from '../config/config';
import { AddressPolicy } from '../net/address-policy';
import { displayUrl, guardedPost, OutboundRequestError } from '../net/guarded-post';
import { UrlGuard } from '../net/url-guard';

export interface WebhookMessage {
  /** Stable per event: the same id on every retry lets consumers de-duplicate. */
  id: string;
  url: string;
  secret: string;
  body: unknown;
}

/**
 * A delivery that did not get a 2xx. The message names only the tenant's own URL (never a resolved
 * address or port), so it is safe wherever it ends up; `logFields` is for operators' logs.
 */
export class WebhookDeliveryError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    /** The endpoint was refused by the outbound guard: no connection was attempted. */
    readonly refused = false,
    /** Retrying cannot help (the URL itself is not allowed). */
    readonly permanent = false,
    readonly logFields: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** What a tenant's endpoint may answer that we read; the rest is discarded unread. */
const MAX_RESPONSE_BYTES = 4096;

/**
 * Signs with the Standard Webhooks scheme (library `standardwebhooks`) and POSTs the event through
 * the outbound guard (src/net): public addresses only, unless allow-listed; no redirects. Without a
 * guard, nothing private is allowed.
 */
export class WebhookSender {
  constructor(
    private readonly timeoutMs: number,
    private readonly guard: UrlGuard = new UrlGuard(new AddressPolicy()),
  ) {}

  static fromConfig(config: Pick<AppConfig, 'WEBHOOK_TIMEOUT_MS' | 'WEBHOOK_ALLOWED_PRIVATE_HOSTS'>): WebhookSender {
    return new WebhookSender(config.WEBHOOK_TIMEOUT_MS, new UrlGuard(new AddressPolicy(config.WEBHOOK_ALLOWED_PRIVATE_HOSTS)));
  }

  async send(message: WebhookMessage): Promise<{ status: number }> {
    const payload = JSON.stringify(message.body);
    const timestamp = new Date();
    const signature = new Webhook(message.secret).sign(message.id, timestamp, payload);
    const target = `POST ${displayUrl(message.url)}`;
    let status: number;
    try {
      ({ status } = await guardedPost(this.guard, message.url, {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Intake-Webhooks/1',
          'webhook-id': message.id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body: payload,
        timeoutMs: this.timeoutMs,
        maxResponseBytes: MAX_RESPONSE_BYTES,
      }));
    } catch (err) {
      if (!(err instanceof OutboundRequestError)) throw err;
      const refused = err.reason === 'refused';
      throw new WebhookDeliveryError(`${target} failed: ${err.message}`, null, refused, err.permanent, {
        reason: err.reason,
        ...err.logFields,
      });
    }
    if (status >= 300 && status <= 399) {
      throw new WebhookDeliveryError(`${target} answered ${status}; redirects are not followed`, status);
    }
    if (status < 200 || status > 299) {
      throw new WebhookDeliveryError(`${target} answered ${status}`, status);
    }
    return { status };
  }
}
