import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logger';
import { errors } from '../common/errors';
import { ApiKeyStore } from './api-key-store';
import { API_KEY_PREFIX, UPLOAD_TOKEN_PREFIX, hashSecret } from './credentials';
import type { Principal } from './principal';
import { UploadTokenStore } from './upload-token-store';

/**
 * Turns a presented secret into a Principal, or throws 401. One implementation for every entry
 * point: the Nest guard, the Uppy routes (token in the path) and tus. Keys and tokens are looked
 * up on every request, so a revoked key or an expired token is refused at once everywhere.
 */
@Injectable()
export class Authenticator {
  constructor(
    @Inject(ApiKeyStore) private readonly apiKeys: ApiKeyStore,
    @Inject(UploadTokenStore) private readonly tokens: UploadTokenStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async authenticate(secret: string | null | undefined): Promise<Principal> {
    if (secret?.startsWith(API_KEY_PREFIX)) {
      const found = await this.apiKeys.findActive(hashSecret(secret));
      if (!found) throw errors.unauthorized();
      this.apiKeys.touch(found.keyId).catch((err) => this.logger.warn({ err, apiKeyId: found.keyId }, 'could not record api key use'));
      return { kind: 'api_key', tenant: found.tenant, apiKeyId: found.keyId };
    }
    if (secret?.startsWith(UPLOAD_TOKEN_PREFIX)) {
      const found = await this.tokens.findActive(hashSecret(secret));
      if (!found) throw errors.unauthorized();
      return { kind: 'upload_token', tenant: found.tenant, token: found.token };
    }
    throw errors.unauthorized();
  }
}
