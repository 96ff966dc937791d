import { Inject, Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { errors } from '../../common/errors';
import { AppConfig, CONFIG } from '../../config/config';
import { Upload } from '../../database/entities/upload.entity';
import { MULTIPART_LIMITS, MultipartStorage, PartUrl, PartsRejectedError, StoredPart } from '../../storage/multipart';
import { objectKeys } from '../../storage/object-keys';
import { ObjectStorage } from '../../storage/object-storage';

/** Part numbers a client names in one call for part URLs. */
export const MAX_PARTS_PER_CALL = 100;

/**
 * How long a client-sized part URL stays valid. Such a URL takes any length up to S3's 5 GiB, so
 * it must not outlive the moment it is needed: Uppy signs each part just before sending it.
 */
export const CLIENT_SIZED_PART_URL_TTL_SECONDS = 15 * 60;

/**
 * The highest part number a client-sized upload may use: every part but the last is at least
 * S3's minimum, so more parts than this cannot assemble to at most `maxSize` bytes.
 */
export function clientSizedPartLimit(maxSize: number): number {
  return Math.min(MULTIPART_LIMITS.maxParts, Math.floor(maxSize / MULTIPART_LIMITS.minPartSize) + 1);
}

export interface PartPlan {
  partSize: number;
  partCount: number;
}

/** Intake's part size for a declared size: the configured one, grown only to stay within S3's 10,000 parts. */
export function planParts(size: number, preferredPartSize: number): PartPlan {
  const MiB = 1024 ** 2;
  let partSize = preferredPartSize;
  if (Math.ceil(size / partSize) > MULTIPART_LIMITS.maxParts) partSize = Math.ceil(size / MULTIPART_LIMITS.maxParts / MiB) * MiB;
  return { partSize, partCount: Math.max(1, Math.ceil(size / partSize)) };
}

/** The exact length of part `n` (1-based): partSize, except the last, which holds the rest. */
export function partLength(size: number, partSize: number, n: number): number {
  return Math.min(partSize, size - (n - 1) * partSize);
}

const totalSize = (parts: StoredPart[]) => parts.reduce((sum, p) => sum + p.size, 0);

/** S3 quotes ETags, Uppy strips the quotes: compare them bare. */
const bareEtag = (etag: string) => etag.replace(/^"+|"+$/g, '');

export interface RequestedPart {
  partNumber: number;
  etag: string;
}

/**
 * Multipart uploads to the upload's incoming key. With a declared size Intake fixes the part size
 * and signs each part's exact length; without one (Uppy) the client picks its part sizes, and the
 * parts are held to the upload's maxSize before they are assembled (and again at verify). The upload is assembled here, then
 * ends like every mode, through UploadsService.signalArrival.
 */
@Injectable()
export class MultipartUploads {
  private readonly rows: Repository<Upload>;
  private readonly multipart: MultipartStorage;

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
    @Inject(DataSource) dataSource: DataSource,
  ) {
    this.rows = dataSource.getRepository(Upload);
    this.multipart = new MultipartStorage(storage);
  }

  /** Opens the S3 multipart upload for a freshly created upload and records its id (and part size). */
  async begin(upload: Upload): Promise<PartPlan | null> {
    const plan = upload.size === null ? null : planParts(upload.size, this.config.MULTIPART_PART_SIZE);
    const multipartUploadId = await this.multipart.create(this.keyOf(upload), upload.contentType);
    await this.rows.update({ id: upload.id }, { multipartUploadId, partSize: plan?.partSize ?? null });
    upload.multipartUploadId = multipartUploadId;
    upload.partSize = plan?.partSize ?? null;
    return plan;
  }

  /**
   * Presigned UploadPart URLs, each bound to its part's exact length when Intake chose the part
   * size. Client-sized URLs take any length, so they are short-lived, capped in number, and no
   * more are signed once the parts stored already exceed the upload's maxSize.
   */
  async signParts(upload: Upload, partNumbers: number[]): Promise<PartUrl[]> {
    const uploadId = this.requireOpen(upload);
    const plan = this.planOf(upload);
    const highest = this.highestPart(upload, plan);
    const outside = partNumbers.filter((n) => !Number.isInteger(n) || n < 1 || n > highest);
    if (outside.length) throw errors.invalidRequest(`part numbers must be whole numbers from 1 to ${highest}`);
    const windowLeft = Math.max(1, Math.floor((upload.expiresAt.getTime() - Date.now()) / 1000));
    let ttl = windowLeft;
    if (!plan) {
      ttl = Math.min(windowLeft, CLIENT_SIZED_PART_URL_TTL_SECONDS);
      const stored = await this.multipart.listParts(this.keyOf(upload), uploadId);
      if (!stored) throw errors.uploadStateConflict('The parts were already assembled or abandoned');
      const total = totalSize(stored);
      if (total > upload.maxSize) throw errors.fileTooLarge(total, upload.maxSize);
    }
    return Promise.all(
      [...new Set(partNumbers)].map((n) =>
        this.multipart.presignPart(this.keyOf(upload), uploadId, n, plan ? partLength(upload.size!, plan.partSize, n) : null, ttl),
      ),
    );
  }

  /** What storage holds so far, so a reloaded client sends only the rest. */
  async listParts(upload: Upload): Promise<StoredPart[]> {
    const parts = await this.multipart.listParts(this.keyOf(upload), this.requireOpen(upload));
    if (!parts) throw errors.uploadStateConflict('The parts were already assembled or abandoned');
    return parts;
  }

  /**
   * Assembles the parts and returns the ETag of the object at the incoming key. Every part must be
   * there with its exact size (INCOMPLETE_UPLOAD names the others). When the multipart upload id
   * is gone, an earlier call assembled it: the object's ETag is returned again (so a complete
   * whose signal failed can be retried); if there is no object either, nothing was uploaded.
   */
  async assemble(upload: Upload, requested?: RequestedPart[]): Promise<string> {
    const key = this.keyOf(upload);
    const uploadId = upload.multipartUploadId;
    if (!uploadId) throw errors.objectNotUploaded();
    const stored = await this.multipart.listParts(key, uploadId);
    let etag: string | null = null;
    if (stored) {
      const parts = this.choose(upload, stored, requested);
      const chosen = new Set(parts.map((p) => p.partNumber));
      const total = totalSize(stored.filter((p) => chosen.has(p.partNumber)));
      if (total > upload.maxSize) {
        // Client-sized parts over the limit: nothing is assembled, and the parts go now rather
        // than at expiry (storage bills them until aborted).
        await this.multipart.abort(key, uploadId);
        throw errors.fileTooLarge(total, upload.maxSize);
      }
      try {
        etag = await this.multipart.complete(key, uploadId, parts);
      } catch (err) {
        if (err instanceof PartsRejectedError) throw errors.uploadStateConflict('The parts changed while they were being assembled; retry');
        throw err;
      }
    }
    if (etag) return etag;
    const head = await this.storage.head(key);
    if (!head?.etag) throw errors.objectNotUploaded();
    return head.etag;
  }

  /** Drops the parts (Uppy's abort); the upload itself expires at the end of its window. */
  async abandon(upload: Upload): Promise<void> {
    if (upload.multipartUploadId) await this.multipart.abort(this.keyOf(upload), upload.multipartUploadId);
  }

  /**
   * The parts to assemble, in order. Intake-sized uploads need parts 1..partCount with their exact
   * lengths; client-sized ones (Uppy) need 1..N contiguous, each but the last at least S3's 5 MiB.
   * A requested part whose ETag is not what storage holds counts as missing.
   */
  private choose(upload: Upload, stored: StoredPart[], requested?: RequestedPart[]): RequestedPart[] {
    const plan = this.planOf(upload);
    const highest = this.highestPart(upload, plan);
    if (requested?.some((p) => p.partNumber < 1 || p.partNumber > highest)) {
      throw errors.invalidRequest(`part numbers must be whole numbers from 1 to ${highest}`);
    }
    const held = new Map(stored.map((p) => [p.partNumber, p]));
    const wanted = requested ? new Map(requested.map((p) => [p.partNumber, p.etag])) : null;
    const count = plan?.partCount ?? Math.max(0, ...(wanted ? wanted.keys() : held.keys()));
    if (count === 0) throw errors.objectNotUploaded();

    const missing: number[] = [];
    const wrongSize: number[] = [];
    const parts: RequestedPart[] = [];
    for (let n = 1; n <= count; n++) {
      const part = held.get(n);
      const etag = wanted ? wanted.get(n) : part?.etag;
      if (!part || etag === undefined || bareEtag(etag) !== bareEtag(part.etag)) {
        missing.push(n);
        continue;
      }
      const fits = plan ? part.size === partLength(upload.size!, plan.partSize, n) : n === count || part.size >= MULTIPART_LIMITS.minPartSize;
      if (!fits) wrongSize.push(n);
      parts.push({ partNumber: n, etag: part.etag });
    }
    if (missing.length || wrongSize.length) throw errors.incompleteUpload(missing, wrongSize);
    return parts;
  }

  /** The multipart upload id, if this upload still takes parts; 409/410 otherwise. */
  private requireOpen(upload: Upload): string {
    if (upload.mode !== 'multipart') throw errors.uploadStateConflict('This upload does not take parts: it is not a multipart upload');
    if (upload.status === 'expired') throw errors.uploadExpired();
    if (upload.status !== 'awaiting_upload') throw errors.uploadStateConflict('This upload no longer takes parts: it was completed');
    // Created but its multipart upload never opened (storage failed mid-creation): it can only expire.
    if (!upload.multipartUploadId) throw errors.uploadStateConflict('This upload has no multipart upload; create a new upload');
    return upload.multipartUploadId;
  }

  private highestPart(upload: Upload, plan: PartPlan | null): number {
    return plan?.partCount ?? clientSizedPartLimit(upload.maxSize);
  }

  private planOf(upload: Upload): PartPlan | null {
    if (upload.size === null || upload.partSize === null) return null;
    return { partSize: upload.partSize, partCount: Math.max(1, Math.ceil(upload.size / upload.partSize)) };
  }

  private keyOf(upload: Upload): string {
    return objectKeys.incoming(upload.tenantId, upload.id);
  }
}
