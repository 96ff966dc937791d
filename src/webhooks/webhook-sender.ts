import { Webhook } from 'standardwebhooks';
import type { AppConfig } from '../config/config';
import { AddressPolicy } from '../net/address-policy';
import { displayUrl, guardedPost, OutboundRequestError } from '../net/guarded-post';
import { UrlGuard } from '../net/url-guard';

export interface WebhookMessage {
  /** Stable per event: the same id on every attempt and every endpoint lets consumers de-duplicate. */
  id: string;
  url: string;
  /** Each signs; the current secret first, then one still in its rotation grace. */
  secrets: string[];
  body: unknown;
}

/** What one attempt came to. `error` names only the tenant's own URL, never an address or port. */
export interface SendResult {
  ok: boolean;
  status: number | null;
  latencyMs: number;
  error: string | null;
  /** The first RESPONSE_EXCERPT_BYTES of the answer, as text. */
  response: string | null;
  /** The outbound guard refused the URL: nothing was sent. */
  refused: boolean;
  /** Retrying cannot help (the URL itself is not allowed). */
  permanent: boolean;
  /** For operators' logs only (resolved address, port, cause). */
  logFields: Record<string, unknown>;
}

/** What of a consumer's answer is read and kept; the rest is discarded unread. */
export const RESPONSE_EXCERPT_BYTES = 1024;

/** Standard Webhooks: one `v1,<base64>` per secret, space-separated, so either secret verifies. */
export function signatures(message: Pick<WebhookMessage, 'id' | 'secrets'>, timestamp: Date, payload: string): string {
  return message.secrets.map((secret) => new Webhook(secret).sign(message.id, timestamp, payload)).join(' ');
}

/**
 * Signs with the Standard Webhooks scheme (library `standardwebhooks`) and POSTs the event through
 * the outbound guard (src/net): public addresses only, unless allow-listed; no redirects. Without a
 * guard, nothing private is allowed. Each send is freshly timestamped and signed.
 */
export class WebhookSender {
  constructor(
    private readonly timeoutMs: number,
    private readonly guard: UrlGuard = new UrlGuard(new AddressPolicy()),
  ) {}

  static fromConfig(config: Pick<AppConfig, 'WEBHOOK_TIMEOUT_MS' | 'WEBHOOK_ALLOWED_PRIVATE_HOSTS'>): WebhookSender {
    return new WebhookSender(config.WEBHOOK_TIMEOUT_MS, new UrlGuard(new AddressPolicy(config.WEBHOOK_ALLOWED_PRIVATE_HOSTS)));
  }

  async send(message: WebhookMessage): Promise<SendResult> {
    const payload = JSON.stringify(message.body);
    const timestamp = new Date();
    const target = `POST ${displayUrl(message.url)}`;
    const started = performance.now();
    const latency = () => Math.round(performance.now() - started);
    try {
      const { status, body } = await guardedPost(this.guard, message.url, {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Intake-Webhooks/1',
          'webhook-id': message.id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signatures(message, timestamp, payload),
        },
        body: payload,
        timeoutMs: this.timeoutMs,
        maxResponseBytes: RESPONSE_EXCERPT_BYTES,
      });
      const ok = status >= 200 && status <= 299;
      const error = ok
        ? null
        : status >= 300 && status <= 399
          ? `${target} answered ${status}; redirects are not followed`
          : `${target} answered ${status}`;
      return {
        ok,
        status,
        latencyMs: latency(),
        error,
        // PostgreSQL text cannot hold NUL; the excerpt is for reading, not byte-exact.
        response: body.length ? body.toString('utf8').replaceAll('\0', '') : null,
        refused: false,
        permanent: false,
        logFields: {},
      };
    } catch (err) {
      if (!(err instanceof OutboundRequestError)) throw err;
      return {
        ok: false,
        status: null,
        latencyMs: latency(),
        error: `${target} failed: ${err.message}`,
        response: null,
        refused: err.reason === 'refused',
        permanent: err.permanent,
        logFields: { reason: err.reason, ...err.logFields },
      };
    }
  }
}
