import { Controller, Get, Headers, HttpCode, HttpException, HttpStatus, Inject, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { readFile } from 'node:fs/promises';
import { Authenticator } from '../auth/authenticator';
import { UploadTokenStore } from '../auth/upload-token-store';
import { AppError, ErrorCode, errors } from '../common/errors';
import { AppConfig, CONFIG } from '../config/config';
import { ApiTags } from '@nestjs/swagger';
import { Fails, Responds, RespondsText } from '../openapi/decorators';
import { DEMO_ASSETS, DEMO_ASSET_DIR, DEMO_HTML, demoAssetsBuilt, demoCsp } from './demo-page';

/** Long enough to try a few files, short enough that a token copied out of the page soon dies. */
export const DEMO_TOKEN_TTL_SECONDS = 900;
export const DEMO_TOKEN_MAX_UPLOADS = 20;

/**
 * The demo page (GET /demo, its bundle under /demo/assets) and the one credential it gets:
 * POST /demo/upload-token, an upload token of the demo tenant (DEMO_API_KEY_FILE) and no other.
 * Mounted only when the demo is on (see demoControllers).
 */
@ApiTags('Demo (development only)')
@Controller('demo')
export class DemoController {
  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(Authenticator) private readonly authenticator: Authenticator,
    @Inject(UploadTokenStore) private readonly tokens: UploadTokenStore,
  ) {}

  @RespondsText(200, 'text/html', 'The demo page.')
  @Fails({ 404: [ErrorCode.NOT_FOUND] })
  @Get()
  page(@Res() res: Response): void {
    if (!demoAssetsBuilt()) throw errors.notFound('Demo bundle (run npm run build)');
    res
      .status(200)
      .set({
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': demoCsp(this.config),
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-cache',
      })
      .send(DEMO_HTML);
  }

  @RespondsText(200, 'application/octet-stream', 'The page\'s script or stylesheet (`demo.js`, `demo.css`).')
  @Fails({ 404: [ErrorCode.NOT_FOUND] })
  @Get('assets/:name')
  async asset(@Param('name') name: string, @Res() res: Response): Promise<void> {
    const type = Object.hasOwn(DEMO_ASSETS, name) ? DEMO_ASSETS[name as keyof typeof DEMO_ASSETS] : null;
    if (!type || !demoAssetsBuilt()) throw errors.notFound('Demo asset');
    res.set({ 'content-type': type, 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' });
    await new Promise<void>((resolve, reject) =>
      res.sendFile(name, { root: DEMO_ASSET_DIR }, (err: (Error & { status?: number }) | undefined) => {
        if (!err || res.headersSent) return resolve();
        res.removeHeader('content-type'); // the error is JSON, not the asset
        // A Range past the end or a failed If-Match is the client's (4xx), not a 500 in our logs.
        reject(err.status && err.status < 500 ? new HttpException('', err.status) : err);
      }),
    );
  }

  @Responds(201, 'DemoUploadToken', 'An upload token of the demo tenant, for the page on this API\'s own origin.')
  @Fails({ 403: [ErrorCode.INVALID_REQUEST], 404: [ErrorCode.NOT_FOUND], 503: [ErrorCode.DEPENDENCY_UNAVAILABLE] })
  @Post('upload-token')
  @HttpCode(201)
  async uploadToken(@Headers('origin') origin: string | undefined): Promise<{ token: string; expiresAt: string }> {
    // Browsers send Origin on every POST: a page elsewhere (or DNS-rebound onto this API's address)
    // must not get the demo tenant's token. Non-browser callers could load the page anyway.
    if (origin !== undefined && origin !== new URL(this.config.PUBLIC_API_URL).origin) {
      throw errors.invalidRequest('Demo tokens are for the demo page at PUBLIC_API_URL only', HttpStatus.FORBIDDEN);
    }
    // A refused key is a missing demo tenant; a database outage is not (it answers 503).
    const principal = await this.authenticator.authenticate(await this.demoApiKey()).catch((err: unknown) => {
      if (err instanceof AppError && err.code === ErrorCode.UNAUTHORIZED) return null;
      throw err;
    });
    // An upload token in the file would let the demo mint tokens from a token: only a key will do.
    if (principal?.kind !== 'api_key') throw errors.notFound('Demo tenant (DEMO_API_KEY_FILE)');
    const { token, secret } = await this.tokens.create({
      tenantId: principal.tenant.id,
      expiresAt: new Date(Date.now() + DEMO_TOKEN_TTL_SECONDS * 1000),
      maxUploads: DEMO_TOKEN_MAX_UPLOADS,
      maxFileSize: null,
      allowedTypes: null,
      metadata: { source: 'demo' },
    });
    return { token: secret, expiresAt: token.expiresAt.toISOString() };
  }

  private async demoApiKey(): Promise<string | null> {
    if (!this.config.DEMO_API_KEY_FILE) return null;
    return (await readFile(this.config.DEMO_API_KEY_FILE, 'utf8').catch(() => '')).trim() || null;
  }
}
