import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload as MultipartUpload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppConfig } from '../config/config';

export interface ObjectHead {
  size: number;
  contentType: string | undefined;
  etag: string | undefined;
}

export interface PresignedPut {
  method: 'PUT';
  url: string;
  headers: Record<string, string>;
}

function s3Client(config: AppConfig, endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: config.S3_REGION,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
    // Presigned PUTs are sent by browsers and plain HTTP clients that cannot add SDK checksum headers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Everything Intake does with object storage, over plain S3 so any S3-compatible server works. */
export class ObjectStorage {
  private readonly client: S3Client;
  private readonly presignClient: S3Client;
  readonly bucket: string;

  constructor(config: AppConfig) {
    this.client = s3Client(config, config.S3_ENDPOINT);
    this.presignClient = s3Client(config, config.S3_PUBLIC_ENDPOINT ?? config.S3_ENDPOINT);
    this.bucket = config.S3_BUCKET;
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

  presignGet(key: string, expiresIn: number): Promise<string> {
    return getSignedUrl(this.presignClient, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn });
  }

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

  /** Streams an object to a local file: media tools want seekable input, memory stays flat. */
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

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** Copy then delete. Idempotent: a retry after the delete finds the source gone and the copy in place. */
  async move(from: string, to: string): Promise<void> {
    if (await this.head(from)) {
      await this.client.send(
        new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: `${this.bucket}/${encodeURI(from)}` }),
      );
      await this.delete(from);
    } else if (!(await this.head(to))) {
      throw new Error(`cannot move ${from}: neither it nor ${to} exists`);
    }
  }

  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  destroy(): void {
    this.client.destroy();
    this.presignClient.destroy();
  }
}

function isNotFound(err: unknown): boolean {
  return (
    err instanceof NotFound ||
    (err instanceof S3ServiceException && (err.$metadata.httpStatusCode === 404 || err.name === 'NoSuchKey'))
  );
}
