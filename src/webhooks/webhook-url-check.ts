import { errors } from '../common/errors';
import { AddressPolicy } from '../net/address-policy';
import { RefusedUrlError, UnresolvableHostError, UrlGuard } from '../net/url-guard';

/**
 * Registration-time check of a webhook endpoint's URL, with the same guard every send uses: a URL
 * that is not http(s), carries credentials, or is / resolves to a non-public address is a 400
 * INVALID_WEBHOOK_URL. A host that does not resolve (yet), or not in time, is accepted: the admin
 * API should not depend on DNS being up, and each send checks again before connecting.
 */
export class WebhookUrlCheck {
  constructor(
    private readonly guard: UrlGuard,
    private readonly timeoutMs: number,
  ) {}

  static fromConfig(config: { WEBHOOK_ALLOWED_PRIVATE_HOSTS: string[]; WEBHOOK_TIMEOUT_MS: number }): WebhookUrlCheck {
    return new WebhookUrlCheck(new UrlGuard(new AddressPolicy(config.WEBHOOK_ALLOWED_PRIVATE_HOSTS)), config.WEBHOOK_TIMEOUT_MS);
  }

  /** `field` names the URL in the error (`url` for endpoints, `webhookUrl` when creating a tenant). */
  async assertAllowed(url: string, field = 'url'): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.timeoutMs)));
    try {
      await Promise.race([this.guard.pin(url), gaveUp]);
    } catch (err) {
      if (err instanceof RefusedUrlError) throw errors.invalidWebhookUrl(err.message, field);
      if (!(err instanceof UnresolvableHostError)) throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}
