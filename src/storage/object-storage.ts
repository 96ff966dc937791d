import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload as MultipartUpload } from '@aws-sdk/lib-storage';
import { PresignedPostOptions, createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { AppConfig, ConfigError } from '../config/config';

export interface ObjectHead {
  size: number;
  contentType: string | undefined;
  etag: string | undefined;
}

/** A conditional copy found the object changed (HTTP 412): it is not the one that was pinned. */
export class ObjectChangedError extends Error {
  constructor(readonly key: string) {
    super('The object changed after it was pinned');
    this.name = 'ObjectChangedError';
  }
}

export interface PresignedPut {
  method: 'PUT';
  url: string;
  headers: Record<string, string>;
}

export interface PresignedPost {
  method: 'POST';
  url: string;
  fields: Record<string, string>;
}

/** One condition of a POST policy: exact match, prefix, or `content-length-range`. */
export type PostPolicyCondition = NonNullable<PresignedPostOptions['Conditions']>[number];

interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * What upload URLs and POST policies are signed with: whoever holds one can do anything these
 * credentials may do that the server does not check against the signature (MinIO acts on an
 * unsigned `x-amz-copy-source`, turning a PUT URL into a copy of any object the signer can read).
 * So they should be a user that may only write under `incoming/`. Null: none configured.
 */
function uploadSigningCredentials(config: AppConfig): S3Credentials | null {
  const { S3_PRESIGN_ACCESS_KEY_ID: accessKeyId, S3_PRESIGN_SECRET_ACCESS_KEY: secretAccessKey } = config;
  if (!accessKeyId !== !secretAccessKey) {
    throw new ConfigError('Invalid configuration: set both S3_PRESIGN_ACCESS_KEY_ID and S3_PRESIGN_SECRET_ACCESS_KEY, or neither');
  }
  if (accessKeyId && secretAccessKey) return { accessKeyId, secretAccessKey };
  // Failing open is for development: production must choose.
  if (config.NODE_ENV === 'production' && !config.S3_PRESIGN_WITH_MAIN_CREDENTIALS) {
    throw new ConfigError(
      'Invalid configuration: in production set S3_PRESIGN_ACCESS_KEY_ID and S3_PRESIGN_SECRET_ACCESS_KEY (a user that may ' +
        'only write under incoming/), or S3_PRESIGN_WITH_MAIN_CREDENTIALS=true for a store that refuses unsigned x-amz-* headers',
    );
  }
  return null;
}

function s3Client(config: AppConfig, endpoint: string, credentials?: S3Credentials): S3Client {
  return new S3Client({
    endpoint,
    region: config.S3_REGION,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    credentials: credentials ?? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
    // Presigned PUTs are sent by browsers and plain HTTP clients that cannot add SDK checksum headers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // An S3 that accepts connections but stops answering must fail the call, not hang it; large
    // streams keep flowing, so an idle minute is a dead peer.
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 60_000 },
  });
}

/** Everything Intake does with object storage, over plain S3 so any S3-compatible server works. */
export class ObjectStorage {
  private readonly client: S3Client;
  /** Signs everything a client may write with (PUT URLs, POST policies, part URLs): see uploadSigningCredentials. */
  private readonly presignClient: S3Client;
  /** Signs download URLs (outputs), which need read access the upload signer must not have. */
  private readonly downloadClient: S3Client;
  readonly bucket: string;
  /** False when no write-only credentials are configured and upload URLs carry the main ones. */
  readonly uploadsSignedWithRestrictedCredentials: boolean;

  constructor(config: AppConfig) {
    const publicEndpoint = config.S3_PUBLIC_ENDPOINT ?? config.S3_ENDPOINT;
    const uploadSigner = uploadSigningCredentials(config);
    this.client = s3Client(config, config.S3_ENDPOINT);
    this.presignClient = s3Client(config, publicEndpoint, uploadSigner ?? undefined);
    this.downloadClient = s3Client(config, publicEndpoint);
    this.bucket = config.S3_BUCKET;
    this.uploadsSignedWithRestrictedCredentials = uploadSigner !== null;
  }

  /** A PUT URL that only accepts exactly the declared type and length (both are signed). */
  async presignPut(key: string, contentType: string, size: number, expiresIn: number): Promise<PresignedPut> {
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: contentType, ContentLength: size });
    const url = await getSignedUrl(this.presignClient, command, {
      expiresIn,
      signableHeaders: new Set(['content-type', 'content-length']),
    });
    return { method: 'PUT', url, headers: { 'Content-Type': contentType, 'Content-Length': String(size) } };
  }

  /**
   * A browser form upload to exactly `key`: S3 checks every condition (and the expiry) against the
   * signed policy, so the client cannot change any of them. Fields are exact-match conditions too.
   */
  async presignPost(
    key: string,
    fields: Record<string, string>,
    conditions: PostPolicyCondition[],
    expiresIn: number,
  ): Promise<PresignedPost> {
    const post = await createPresignedPost(this.presignClient, {
      Bucket: this.bucket,
      Key: key,
      Fields: fields,
      Conditions: conditions,
      Expires: expiresIn,
    });
    return { method: 'POST', url: post.url, fields: post.fields };
  }

  presignGet(key: string, expiresIn: number): Promise<string> {
    return getSignedUrl(this.downloadClient, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn });
  }

  /** Size, type and ETag, or null when there is no object. */
  async head(key: string): Promise<ObjectHead | null> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: res.ContentLength ?? 0, contentType: res.ContentType, etag: res.ETag };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** The first bytes of an object (for type sniffing) without downloading the rest. */
  async readHead(key: string, bytes: number): Promise<Buffer> {
    const res = await this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=0-${bytes - 1}` }),
    );
    return Buffer.from(await res.Body!.transformToByteArray());
  }

  async openStream(key: string): Promise<Readable> {
    const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return res.Body as Readable;
  }

  /** Streams an object to a local file (tests and benchmarks; the pipeline reads through ingestOriginal). */
  async download(key: string, filePath: string): Promise<void> {
    await pipeline(await this.openStream(key), createWriteStream(filePath));
  }

  /** Multipart under the hood for large files; the same key on retry overwrites. */
  async uploadFile(key: string, filePath: string, contentType: string): Promise<void> {
    await new MultipartUpload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: createReadStream(filePath), ContentType: contentType },
      queueSize: 2,
      partSize: 16 * 1024 * 1024,
    }).done();
  }

  async putBuffer(key: string, body: Buffer, contentType: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  /** Deleting a key that does not exist succeeds (S3 semantics), so every delete is idempotent. */
  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** Every key under a prefix, page by page. */
  async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const listed = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      keys.push(...(listed.Contents ?? []).map((o) => o.Key!));
      token = listed.IsTruncated ? listed.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  /** Deletes every object under a prefix (a page of up to 1000 keys per round trip). */
  async deletePrefix(prefix: string): Promise<number> {
    let deleted = 0;
    for (;;) {
      const listed = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: 1000 }));
      const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (!keys.length) return deleted;
      await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }));
      deleted += keys.length;
    }
  }

  /**
   * Aborts every unfinished multipart upload under a prefix (their parts are invisible to object
   * listings but take space). Deleting an upload calls it for the incoming key and the outputs.
   */
  async abortMultipartUploadsUnder(prefix: string): Promise<number> {
    let aborted = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const listed = await this.client.send(
        new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
      );
      for (const upload of listed.Uploads ?? []) {
        try {
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.Key!, UploadId: upload.UploadId! }));
          aborted++;
        } catch (err) {
          if (!(err instanceof S3ServiceException && err.name === 'NoSuchUpload')) throw err;
        }
      }
      if (!listed.IsTruncated) return aborted;
      keyMarker = listed.NextKeyMarker;
      uploadIdMarker = listed.NextUploadIdMarker;
    }
  }

  /**
   * Server-side copy, only if the source still has `ifMatch` as its ETag (else ObjectChangedError):
   * what lands at `to` is exactly the version that was pinned. A single CopyObject handles up to
   * 5 GiB, above the largest upload the scanner can vouch for.
   */
  async copy(from: string, to: string, ifMatch?: string): Promise<void> {
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: to,
          CopySource: `${this.bucket}/${encodeURI(from)}`,
          CopySourceIfMatch: ifMatch,
        }),
      );
    } catch (err) {
      throw changedOr(err, from);
    }
  }

  /** Copy then delete. Idempotent: a retry after the delete finds the source gone and the copy in place. */
  async move(from: string, to: string): Promise<void> {
    if (await this.head(from)) {
      await this.copy(from, to);
      await this.delete(from);
    } else if (!(await this.head(to))) {
      throw new Error(`cannot move ${from}: neither it nor ${to} exists`);
    }
  }

  /** The client for server-side calls (storage/multipart.ts builds on it). */
  get serverClient(): S3Client {
    return this.client;
  }

  /** The client that signs URLs handed to clients: every presigned URL must come from it. */
  get presigningClient(): S3Client {
    return this.presignClient;
  }

  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  destroy(): void {
    this.client.destroy();
    this.presignClient.destroy();
    this.downloadClient.destroy();
  }
}

/** S3 answers 412 Precondition Failed when x-amz-copy-source-if-match does not hold. */
function changedOr(err: unknown, key: string): unknown {
  const status = err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
  if (status === 412 || (err instanceof Error && err.name === 'PreconditionFailed')) return new ObjectChangedError(key);
  return err;
}

function isNotFound(err: unknown): boolean {
  return (
    err instanceof NotFound ||
    (err instanceof S3ServiceException && (err.$metadata.httpStatusCode === 404 || err.name === 'NoSuchKey'))
  );
}
