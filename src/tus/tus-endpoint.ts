import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Server } from '@tus/server';
import type { NextFunction, Request as ExpressRequest, Response as ExpressResponse } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { NodeRequest, sendNodeResponse } from 'srvx/node';
import { Authenticator } from '../auth/authenticator';
import { bearerToken } from '../auth/credentials';
import { Principal, canSee } from '../auth/principal';
import { unavailableDependency } from '../common/dependency-errors';
import { AppError, errors } from '../common/errors';
import { LOGGER } from '../common/logger';
import { requestIdOf } from '../common/request-id';
import { AppConfig, CONFIG, effectiveMaxUploadBytes } from '../config/config';
import type { Upload } from '../database/entities/upload.entity';
import { objectKeys } from '../storage/object-keys';
import { ObjectStorage } from '../storage/object-storage';
import { UploadStore } from '../uploads/upload-store';
import { UploadsService } from '../uploads/uploads.service';
import { RequestRateLimiter } from '../rate-limit/request-rate-limiter';
import { IntakeS3Store } from './intake-s3-store';
import { RedisLocker } from './redis-locker';
import { TusArrival } from './tus-arrival';
import { catalogueErrorFor, declaredLength, tusCreation } from './tus-creation';
import { UPLOAD_ID, tusKeys } from './tus-keys';

export const TUS_PATH = '/v1/tus';
const TUS_METHODS = new Set(['POST', 'HEAD', 'PATCH', 'DELETE', 'OPTIONS']);

/** What the Express side learned about a request before tus handles it. */
interface TusContext {
  principal: Principal;
  /** The upload a HEAD/PATCH/DELETE names, or the one POST created. */
  upload?: Upload;
}

const CONTEXT = Symbol('intake.tus.context');
type NodeRequestWithContext = IncomingMessage & { [CONTEXT]?: TusContext };

/** tus hands its hooks a web Request; the Node request underneath carries our context. */
function nodeOf(req: Request): { req?: NodeRequestWithContext; res?: ServerResponse } {
  return (req as { runtime?: { node?: { req?: NodeRequestWithContext; res?: ServerResponse } } }).runtime?.node ?? {};
}
const contextOf = (req: Request): TusContext | undefined => nodeOf(req).req?.[CONTEXT];
const storageIdOf = (upload: Upload) => tusKeys.storageId({ tenantId: upload.tenantId, uploadId: upload.id });

/**
 * tus 1.0 at /v1/tus (creation, creation-with-upload, creation-defer-length, termination,
 * expiration) on @tus/server with the S3 store. Express authenticates every request but OPTIONS
 * and finds the upload it names (404 unless this key or token may see it, 410 once its window
 * closed) before tus runs; the tus id in URLs is the Intake upload id, the store's id its incoming
 * key. Bytes stream through to S3 in part-sized chunks; the upload is created by open() and ended
 * by signalArrival(), as every mode's is.
 */
@Injectable()
export class TusEndpoint implements OnApplicationShutdown {
  private readonly server: Server;
  private failingFinishHooks: number;

  constructor(
    @Inject(CONFIG) config: AppConfig,
    @Inject(Authenticator) private readonly authenticator: Authenticator,
    @Inject(UploadsService) private readonly uploadsService: UploadsService,
    @Inject(UploadStore) private readonly uploads: UploadStore,
    @Inject(TusArrival) private readonly arrival: TusArrival,
    @Inject(IntakeS3Store) private readonly store: IntakeS3Store,
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
    @Inject(RedisLocker) private readonly locker: RedisLocker,
    @Inject(RequestRateLimiter) private readonly rateLimiter: RequestRateLimiter,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.failingFinishHooks = config.NODE_ENV === 'test' ? config.TUS_TEST_FAILING_FINISH_HOOKS : 0;
    if (this.failingFinishHooks) logger.warn({ count: this.failingFinishHooks }, 'fault injection: tus finish hooks will fail');
    const platformMax = effectiveMaxUploadBytes(config);
    this.server = new Server({
      path: TUS_PATH,
      datastore: store,
      locker,
      maxSize: (req) => contextOf(req)?.upload?.maxSize ?? platformMax,
      namingFunction: (req, metadata) => this.create(req, metadata),
      getFileIdFromRequest: (req) => {
        const upload = contextOf(req)?.upload;
        return upload ? storageIdOf(upload) : undefined;
      },
      generateUrl: (_req, { proto, host, path, id }) => `${proto}://${host}${path}/${tusKeys.parse(id)?.uploadId}`,
      onUploadFinish: async (_req, upload) => {
        await this.finished(upload.id);
        return {};
      },
      onResponseError: (req, err) => this.tusRefusal(req, err),
      disableTerminationForFinishedUploads: true,
    });
  }

  /** Express middleware, mounted at TUS_PATH before any body parser. */
  readonly handle = (req: ExpressRequest, res: ExpressResponse, next: NextFunction): void => {
    if (!TUS_METHODS.has(req.method)) return next();
    this.serve(req, res).catch((err) => this.refuse(res, err));
  };

  async onApplicationShutdown(): Promise<void> {
    await this.locker.stop();
  }

  private async serve(req: ExpressRequest, res: ExpressResponse): Promise<void> {
    const context = req.method === 'OPTIONS' ? undefined : await this.admit(req, res);
    if (context?.upload && context.upload.status !== 'awaiting_upload') return await this.answerFinished(req, res, context.upload);
    if (context) this.locker.assertAvailable(); // 503 while Redis is unreachable, before POST creates an upload
    (req as NodeRequestWithContext)[CONTEXT] = context;
    const response = await this.server.handleWeb(new NodeRequest({ req, res }));
    await sendNodeResponse(res, await this.adjust(response, context?.upload));
  }

  /** Who is asking and, except for POST, which upload: refused here before tus sees the request. */
  private async admit(req: ExpressRequest, res: ExpressResponse): Promise<TusContext> {
    const principal = await this.authenticator.authenticate(bearerToken(req.headers.authorization));
    // The same per-tenant and per-token limits as every other route (429 RATE_LIMITED with its headers).
    res.set(await this.rateLimiter.consume(principal));
    const id = req.path.replace(/^\/+|\/+$/g, '');
    if (req.method === 'POST') {
      if (id) throw errors.notFound();
      return { principal };
    }
    const upload = UPLOAD_ID.test(id) ? await this.uploads.findById(id) : null;
    if (!upload || upload.mode !== 'tus' || upload.status === 'deleted' || !canSee(principal, upload)) throw errors.uploadNotFound();
    const windowClosed = upload.status === 'awaiting_upload' && upload.expiresAt.getTime() <= Date.now();
    if (upload.status === 'expired' || windowClosed) throw errors.uploadExpired();
    if (req.method === 'PATCH' && upload.status === 'awaiting_upload') this.checkPatchSize(req, upload);
    return { principal, upload };
  }

  /**
   * A deferred length declared now, or a body that would take the upload past its limit: the same
   * refusals as at creation, with the catalogue's codes (tus would answer both with plain 413s).
   */
  private checkPatchSize(req: ExpressRequest, upload: Upload): void {
    if (req.headers['upload-length'] !== undefined) {
      const size = declaredLength(String(req.headers['upload-length']));
      if (size !== null && size > upload.maxSize) throw errors.fileTooLarge(size, upload.maxSize);
    }
    const end = Number(req.headers['upload-offset']) + Number(req.headers['content-length']);
    if (Number.isSafeInteger(end) && end > upload.maxSize) throw errors.fileTooLarge(end, upload.maxSize);
  }

  /**
   * Once the workflow has the upload, tus has nothing left to say: HEAD reports it complete (so
   * a client resuming it finishes at once), anything else is a conflict.
   */
  private async answerFinished(req: ExpressRequest, res: ExpressResponse, upload: Upload): Promise<void> {
    if (req.method !== 'HEAD') throw errors.uploadStateConflict('This upload is complete and takes no more requests');
    // A deferred length is recorded by verify; until then the assembled object says it.
    const size = upload.size ?? (await this.storage.head(objectKeys.incoming(upload.tenantId, upload.id)))?.size;
    if (size === undefined) throw errors.uploadStateConflict('This upload is complete and takes no more requests');
    res
      .status(200)
      .set({ 'Tus-Resumable': '1.0.0', 'Cache-Control': 'no-store', 'Upload-Offset': String(size), 'Upload-Length': String(size) })
      .end();
  }

  /** POST: checks the request as POST /v1/uploads would and creates the Intake upload; its incoming key names the tus upload. */
  private async create(req: Request, tusMetadata: Record<string, string | null> | undefined): Promise<string> {
    const context = contextOf(req);
    if (!context) throw errors.unauthorized();
    const size = declaredLength(req.headers.get('upload-length'));
    const upload = await this.uploadsService.open(context.principal, { ...tusCreation(tusMetadata), size, mode: 'tus' });
    context.upload = upload;
    return storageIdOf(upload);
  }

  private async finished(storageId: string): Promise<void> {
    const ref = tusKeys.parse(storageId);
    if (!ref) throw new Error('finished tus upload has no Intake id');
    if (this.failingFinishHooks > 0) {
      this.failingFinishHooks -= 1;
      throw new Error('injected tus finish-hook failure (TUS_TEST_FAILING_FINISH_HOOKS)');
    }
    const outcome = await this.arrival.signal(ref.uploadId);
    if (outcome === 'waiting') return;
    // The workflow has the bytes, or never will: tus's bookkeeping can go now (else the reconciler drops it).
    await this.store.forget(ref).catch((err) => this.logger.warn({ err, uploadId: ref.uploadId }, 'could not drop tus state'));
    // A PATCH that began inside the window but ended after it stored nothing the upload keeps.
    if (outcome === 'late') throw errors.uploadExpired();
  }

  /**
   * CORS is left to the app's CORS middleware (mounted before this one), so tus's own
   * Access-Control-* headers go; Upload-Expires is the Intake upload's window; error bodies are
   * the catalogue's JSON (see tusRefusal).
   */
  private async adjust(response: Response, upload: Upload | undefined): Promise<Response> {
    const headers = new Headers(response.headers);
    for (const name of [...headers.keys()]) if (name.startsWith('access-control-')) headers.delete(name);
    if (response.status >= 400) {
      // Refusals tus answers before any hook (header checks, missing Tus-Resumable) are plain text.
      const body = await catalogueBody(response);
      headers.set('Content-Type', 'application/json; charset=utf-8');
      headers.set('Content-Length', String(Buffer.byteLength(body)));
      return new Response(body, { status: response.status, headers });
    }
    const offset = Number(headers.get('upload-offset') ?? 0);
    if (upload && (upload.size === null || offset < upload.size)) headers.set('Upload-Expires', upload.expiresAt.toUTCString());
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }

  /** tus's onResponseError: every refusal, ours (thrown from hooks) or the library's, as a catalogue body. */
  private tusRefusal(req: Request, err: unknown): { status_code: number; body: string } {
    const upload = contextOf(req)?.upload;
    // A write that outlived the window fails in storage (expiry aborts the multipart upload): that
    // is the window closing, not a server error.
    const late = upload && !(err instanceof AppError) && upload.expiresAt.getTime() <= Date.now();
    const error = late ? errors.uploadExpired() : this.toAppError(err, requestIdOf(nodeOf(req).res as ExpressResponse));
    return { status_code: error.status, body: JSON.stringify(error.toBody()) };
  }

  private refuse(res: ExpressResponse, err: unknown): void {
    const error = this.toAppError(err, requestIdOf(res));
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(error.status).set({ ...error.headers, 'Tus-Resumable': '1.0.0' }).json(error.toBody());
  }

  private toAppError(err: unknown, requestId: string | undefined): AppError {
    let error: AppError;
    if (err instanceof AppError) error = err;
    else if (isTusError(err)) error = catalogueErrorFor(err.status_code, err.body);
    else {
      const dependency = unavailableDependency(err);
      error = dependency ? errors.dependencyUnavailable(dependency) : errors.internal();
    }
    if (error.status >= 500) this.logger[error.status === 503 ? 'warn' : 'error']({ err, requestId, code: error.code }, 'tus request failed');
    return error;
  }
}

/** An error response's body as the catalogue's JSON: kept when tusRefusal made it, mapped from tus's text otherwise. */
async function catalogueBody(response: Response): Promise<string> {
  const text = await response.text();
  try {
    if (typeof JSON.parse(text)?.error?.code === 'string') return text;
  } catch {
    // tus's own text
  }
  return JSON.stringify(catalogueErrorFor(response.status, text).toBody());
}

function isTusError(err: unknown): err is { status_code: number; body: string } {
  return typeof err === 'object' && err !== null && typeof (err as { status_code?: unknown }).status_code === 'number';
}
