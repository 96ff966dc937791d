import { z } from 'zod';
import { parseCorsOrigins } from '../common/cors';
import { allowListEntryError, splitAllowList } from '../net/address-policy';
import { DEFAULT_RETRY_SCHEDULE, parseRetrySchedule } from '../webhooks/retry-schedule';

/**
 * The one configuration schema. Read once from the environment at process start, validated,
 * then injected (CONFIG token) — nothing reads process.env at import time.
 */
const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');

const GiB = 1024 ** 3;

export const configSchema = z.object({
  NODE_ENV: z.string().default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
  /** Comma-separated page origins (`https://app.example.com`) whose browsers may call the API. Empty: none. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const { origins, invalid } = parseCorsOrigins(value);
      if (invalid !== null) ctx.addIssue({ code: 'custom', message: 'CORS_ORIGINS entries must be origins like https://app.example.com' });
      return origins;
    }),

  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/intake'),

  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),

  S3_ENDPOINT: z.string().url().default('http://127.0.0.1:9000'),
  /** Endpoint baked into presigned URLs handed to clients, when it differs from the internal one. */
  S3_PUBLIC_ENDPOINT: z.string().url().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_BUCKET: z.string().default('intake'),
  S3_ACCESS_KEY_ID: z.string().default('intake'),
  S3_SECRET_ACCESS_KEY: z.string().default('intake-secret-key'),
  S3_FORCE_PATH_STYLE: bool.default(true),
  /**
   * A user that may only write under `incoming/` (PutObject, parts included; no reads, no listing):
   * every URL and POST policy handed to clients is signed with it. Unset: the main credentials
   * sign them, with a warning at start. Set both or neither.
   */
  S3_PRESIGN_ACCESS_KEY_ID: z.string().optional(),
  S3_PRESIGN_SECRET_ACCESS_KEY: z.string().optional(),
  /**
   * Production refuses to start without the write-only user unless this says the main credentials
   * may sign upload URLs: only for a store that refuses unsigned x-amz-* headers (AWS S3 does).
   */
  S3_PRESIGN_WITH_MAIN_CREDENTIALS: bool.default(false),
  /** Shared secret the storage's bucket notifications carry (`Authorization: Bearer`); unset: the route is off. */
  STORAGE_EVENTS_TOKEN: z.string().min(16, 'STORAGE_EVENTS_TOKEN must be at least 16 characters').optional(),

  CLAMD_HOST: z.string().default('127.0.0.1'),
  CLAMD_PORT: z.coerce.number().int().default(3310),
  CLAMD_TIMEOUT_MS: z.coerce.number().int().positive().default(300_000),
  /** clamd flags anything from 2 GiB - 2 bytes up as Heuristics.Limits.Exceeded; larger files are rejected, never passed unscanned. */
  SCAN_MAX_BYTES: z.coerce.number().int().positive().default(2 * GiB - 3),

  MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(5 * GiB),
  UPLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(1).max(604_800).default(3600),
  /** Part size Intake chooses for multipart uploads (S3: at least 5 MiB); grown only to stay within 10,000 parts. */
  MULTIPART_PART_SIZE: z.coerce.number().int().min(5 * 1024 ** 2).max(5 * GiB).default(8 * 1024 ** 2),
  DOWNLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(60).max(604_800).default(3600),
  /** Where clients reach this API: links the API serves itself (HLS playlists) start with it. */
  PUBLIC_API_URL: z.string().url().default('http://127.0.0.1:3000'),
  /**
   * Signs the links the API serves without an Authorization header (HLS playlists); the API and
   * every worker need the same value. Required in production (see outputUrlSecret).
   */
  OUTPUT_URL_SECRET: z.string().min(32, 'OUTPUT_URL_SECRET must be at least 32 characters').optional(),
  /** Length a video is cut into (at keyframes) for transcoding in parallel; shorter videos are one segment. */
  VIDEO_SEGMENT_SECONDS: z.coerce.number().min(2).max(600).default(10),

  /** sharp refuses to decode images above this many pixels (decompression-bomb guard). */
  MAX_IMAGE_PIXELS: z.coerce.number().int().positive().default(100_000_000),
  IMAGE_MAX_DIMENSION: z.coerce.number().int().positive().default(2048),
  THUMBNAIL_SIZE: z.coerce.number().int().positive().default(320),
  VIDEO_MAX_DIMENSION: z.coerce.number().int().positive().default(1920),
  /** Video inputs are measured with ffprobe and refused above these before anything decodes them. */
  VIDEO_MAX_WIDTH: z.coerce.number().int().positive().default(7680),
  VIDEO_MAX_HEIGHT: z.coerce.number().int().positive().default(4320),
  VIDEO_MAX_PIXELS: z.coerce.number().int().positive().default(7680 * 4320),
  VIDEO_MAX_DURATION_SECONDS: z.coerce.number().positive().default(4 * 3600),
  VIDEO_MAX_FRAME_RATE: z.coerce.number().positive().default(120),
  VIDEO_MAX_STREAMS: z.coerce.number().int().positive().default(16),
  FFMPEG_PATH: z.string().default('ffmpeg'),
  FFPROBE_PATH: z.string().default('ffprobe'),
  /** Empty: the exiftool bundled with exiftool-vendored. */
  EXIFTOOL_PATH: z.string().optional(),

  WORK_DIR: z.string().default('/tmp/intake-work'),
  /** Which task queues this worker process polls: any of "uploads", "transcode", "webhooks", "backfill". */
  WORKER_QUEUES: z
    .string()
    .default('uploads,transcode,webhooks,backfill')
    .transform((s) => s.split(',').map((q) => q.trim()).filter(Boolean))
    .pipe(z.array(z.enum(['uploads', 'transcode', 'webhooks', 'backfill'])).min(1)),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().positive().default(4),
  WORKER_MAX_CONCURRENT_TRANSCODES: z.coerce.number().int().positive().default(1),
  /** Uploads of a bulk rerun (admin backfill) one worker holds at once, beside its live work. */
  WORKER_MAX_CONCURRENT_BACKFILL: z.coerce.number().int().positive().default(1),
  /** Prebuilt workflow bundle; when absent the worker bundles workflows/ at start. */
  WORKFLOW_BUNDLE_PATH: z.string().optional(),
  /** OTLP/HTTP collector (`http://otel-collector:4318`): traces go to `<endpoint>/v1/traces`. Unset: tracing is off. */
  // Empty (compose passes `${OTEL_EXPORTER_OTLP_ENDPOINT:-}` through) is unset too.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().url().regex(/^https?:\/\//, 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL').optional(),
  ),
  /** Shared state of API instances: tus upload locks, the tus store's metadata cache, rate-limit counters. */
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /** tus (src/tus): S3 part size; each PATCH buffers at most one part on local disk (os.tmpdir()). */
  TUS_PART_SIZE_BYTES: z.coerce.number().int().min(5 * 1024 * 1024).max(5 * GiB).default(8 * 1024 * 1024),
  /** tus: parts buffered and sent to S3 at once per API process; disk use is at most this x the part size. */
  TUS_MAX_CONCURRENT_PART_UPLOADS: z.coerce.number().int().positive().default(16),
  /** tus: how often (with jitter) the API signals finished uploads whose finish hook failed and drops tus state. */
  TUS_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  /** tus: uploads with state the reconciler looks at per pass; a cursor carries the next pass on from there. */
  TUS_RECONCILE_PAGE_SIZE: z.coerce.number().int().positive().default(500),
  /**
   * Fault injection for tests only (honoured when NODE_ENV=test): the first N tus finish hooks
   * throw after the bytes are stored, as a crash between storing and signalling would.
   */
  TUS_TEST_FAILING_FINISH_HOOKS: z.coerce.number().int().min(0).default(0),
  /** Prometheus metrics (docs/metrics.md); false: no registry is built and nothing is counted. */
  METRICS_ENABLED: bool.default(true),
  /** Bearer token GET /metrics on the API requires; unset: open, which production refuses (MetricsModule). */
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
  /** The worker's /livez, /readyz and /metrics port; 0 (default): none, so several workers share a host freely. */
  WORKER_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** The Temporal SDK's own Prometheus exporter (worker); 0: off. */
  TEMPORAL_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** /readyz fails when the scratch disk (WORK_DIR) has less free space than this. */
  WORKER_MIN_FREE_DISK_MB: z.coerce.number().int().min(0).default(1024),
  /** Namespaces Intake's Redis keys, so stacks sharing one Redis never share counters. */
  REDIS_KEY_PREFIX: z.string().min(1).max(100).default('intake'),
  /** Per tenant, unless its policy sets rateLimit: requests per window, across all its credentials. */
  RATE_LIMIT_REQUESTS: z.coerce.number().int().positive().default(6000),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().positive().default(60),
  /** Per upload token (a browser), on top of its tenant's limit. */
  RATE_LIMIT_TOKEN_REQUESTS: z.coerce.number().int().positive().default(300),
  RATE_LIMIT_TOKEN_WINDOW_SECONDS: z.coerce.number().int().positive().default(60),
  /**
   * A deleted upload's storage is purged at once and again this much later, to catch a write by
   * an activity that was already running (verify's copy may take up to its 10-minute timeout).
   */
  UPLOAD_DELETION_RECHECK_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  /** Live status streams (GET /v1/uploads/:id/events): seconds between the heartbeats that keep proxies from closing them. */
  LIVE_STATUS_HEARTBEAT_SECONDS: z.coerce.number().positive().max(3600).default(15),
  /** One attempt's deadline: DNS, connect, request and the (capped) answer. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().max(60_000).default(10_000),
  /** Delays before each delivery attempt (see src/webhooks/retry-schedule.ts); `0s,1s,2s,3s` is 4 attempts. */
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .default(DEFAULT_RETRY_SCHEDULE)
    .transform((raw, ctx) => {
      const parsed = parseRetrySchedule(raw);
      if (typeof parsed === 'string') {
        ctx.addIssue({ code: 'custom', message: parsed });
        return z.NEVER;
      }
      return parsed;
    }),
  /** After a secret rotation, deliveries carry the old secret's signature too for this long. */
  WEBHOOK_SECRET_GRACE_SECONDS: z.coerce.number().int().min(0).max(30 * 86_400).default(86_400),
  /** A tenant may register this many endpoints (each event's workflow holds one branch per endpoint). */
  WEBHOOK_MAX_ENDPOINTS: z.coerce.number().int().positive().max(100).default(20),
  /** Delivery attempts one worker makes at once (I/O: each mostly waits on a consumer). */
  WORKER_MAX_CONCURRENT_DELIVERIES: z.coerce.number().int().positive().default(50),
  /**
   * Comma-separated addresses or CIDRs (`127.0.0.1/32`) that webhooks may reach although they are
   * not public: local development and tests. Empty: only public addresses (see src/net).
   */
  WEBHOOK_ALLOWED_PRIVATE_HOSTS: z
    .string()
    .default('')
    .transform(splitAllowList)
    .superRefine((entries, ctx) => {
      for (const entry of entries) {
        const problem = allowListEntryError(entry);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }
    }),
  /** The demo page (/demo) and its upload-token route (src/demo); unset: on everywhere but production. */
  DEMO_ENABLED: bool.optional(),
  /**
   * A file holding the API key (`ik_…`) of the tenant the demo uploads as: its upload tokens are
   * that tenant's. Read on each token request, so a dev stack may write it after the API starts.
   */
  DEMO_API_KEY_FILE: z.string().optional(),
});

export type AppConfig = z.infer<typeof configSchema>;

export const CONFIG = Symbol('CONFIG');

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // Empty strings mean "unset" (a common shell idiom: FOO= ./run).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${issues}`);
  }
  return parsed.data;
}

/** Outside production, a fixed development secret stands in, so a local stack needs no setup. */
const DEVELOPMENT_OUTPUT_URL_SECRET = 'intake-development-output-url-secret-not-for-production';

export function outputUrlSecret(config: Pick<AppConfig, 'OUTPUT_URL_SECRET' | 'NODE_ENV'>): string {
  if (config.OUTPUT_URL_SECRET) return config.OUTPUT_URL_SECRET;
  if (config.NODE_ENV === 'production') throw new ConfigError('OUTPUT_URL_SECRET must be set in production (32+ characters)');
  return DEVELOPMENT_OUTPUT_URL_SECRET;
}

/** The largest upload Intake accepts: what policy allows and what the scanner can vouch for. */
export function effectiveMaxUploadBytes(config: Pick<AppConfig, 'MAX_UPLOAD_BYTES' | 'SCAN_MAX_BYTES'>): number {
  return Math.min(config.MAX_UPLOAD_BYTES, config.SCAN_MAX_BYTES);
}
