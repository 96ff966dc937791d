import { z } from 'zod';
import { DELIVERY_STATUSES, DeliveryFailure } from '../webhooks/delivery-store';
import { ErrorCode } from '../common/errors';
import { UPLOAD_MODES, UPLOAD_STATUSES, UploadStage } from '../database/entities/upload.entity';
import { tenantPolicySchema } from '../tenants/tenant-policy';
import { WEBHOOK_EVENT_TYPES } from '../../workflows/contract';
import { WEBHOOK_EVENT_EXAMPLES } from '../webhooks/event-examples';

/**
 * Response bodies and shared shapes of the API description, as JSON Schema 2020-12 (OpenAPI 3.1).
 * They mirror the TypeScript view types (upload-view.ts, webhook-views.ts, ...): the e2e suite
 * checks every real response against them, so a drift fails there.
 */
type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str = (description?: string): Schema => ({ type: 'string', ...(description ? { description } : {}) });
function nullable(schema: Schema): Schema {
  if (typeof schema.type === 'string') return { ...schema, type: [schema.type, 'null'] };
  if (Array.isArray(schema.enum)) return { ...schema, enum: [...schema.enum, null] };
  return { oneOf: [schema, { type: 'null' }] };
}
const dateTime = { type: 'string', format: 'date-time' };
const uuid = { type: 'string', format: 'uuid' };
const int = (minimum?: number): Schema => ({ type: 'integer', ...(minimum === undefined ? {} : { minimum }) });
const stringMap = { type: 'object', additionalProperties: { type: 'string' } };

const withExamples = (examples: unknown[], properties: Record<string, Schema>): Schema => ({ ...object(properties), examples });

/** Every property listed is required (views always carry every field; absent ones are null). */
function object(properties: Record<string, Schema>, optional: string[] = []): Schema {
  return {
    type: 'object',
    properties,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    additionalProperties: false,
  };
}

const STAGES: Record<UploadStage, true> = {
  awaiting_upload: true,
  verifying: true,
  scanning: true,
  extracting_metadata: true,
  processing: true,
  thumbnailing: true,
  finalizing: true,
  done: true,
};
const FAILURES: Record<DeliveryFailure, true> = { exhausted: true, endpoint_disabled: true, endpoint_gone: true, url_refused: true };

const ApiKey = {
  id: uuid,
  name: str(),
  prefix: str("The key's first characters, to tell keys apart."),
  createdAt: dateTime,
  lastUsedAt: nullable(dateTime),
};

const WebhookEndpoint = {
  id: uuid,
  url: str(),
  description: nullable(str()),
  events: { ...nullable({ type: 'array' }), items: { enum: [...WEBHOOK_EVENT_TYPES] }, description: 'null: every event type.' },
  enabled: { type: 'boolean' },
  status: { enum: ['healthy', 'failing', 'disabled'] },
  disabledReason: nullable(str('Why it is off: `disabled_by_tenant`, or `gone` (it answered 410).')),
  failingSince: nullable(dateTime),
  previousSecretExpiresAt: nullable({ ...dateTime, description: 'Until when deliveries also carry the previous signature.' }),
  createdAt: dateTime,
  updatedAt: dateTime,
};

const UppyPartUrl = object({ url: str() });

export const SCHEMAS = {
  ErrorBody: {
    ...object({
      error: object({ code: { enum: Object.values(ErrorCode) }, message: str('From the catalogue; never echoes secrets.') }),
    }),
    examples: [{ error: { code: 'UPLOAD_NOT_FOUND', message: 'Upload not found' } }],
  },
  Output: object({
    name: str(),
    contentType: str(),
    size: int(0),
    width: nullable(int(0)),
    height: nullable(int(0)),
    url: str('Presigned GET (for `hls`, a signed API link), valid for DOWNLOAD_URL_TTL_SECONDS.'),
  }),
  Upload: withExamples([WEBHOOK_EVENT_EXAMPLES['upload.ready'].data, WEBHOOK_EVENT_EXAMPLES['upload.rejected'].data], {
    id: uuid,
    status: { enum: [...UPLOAD_STATUSES] },
    stage: { enum: Object.keys(STAGES) },
    progress: { type: 'number', minimum: 0, maximum: 100 },
    filename: str(),
    contentType: str(),
    size: nullable(int(0)),
    mode: { enum: [...UPLOAD_MODES] },
    clientMetadata: nullable(stringMap),
    sha256: nullable({ type: 'string', pattern: '^[0-9a-f]{64}$' }),
    metadata: nullable({ type: 'object', description: 'What was read from the file (dimensions, duration, EXIF...).' }),
    outputs: { type: 'array', items: ref('Output') },
    error: nullable(ref('UploadError')),
    createdAt: dateTime,
    updatedAt: dateTime,
  }),
  UploadError: object({ code: { enum: Object.values(ErrorCode) }, message: str() }),
  UploadPage: object({ uploads: { type: 'array', items: ref('Upload') }, nextCursor: nullable(str()) }),
  CreatedUpload: object({
    id: uuid,
    status: { const: 'awaiting_upload' },
    upload: {
      description: 'How to send the bytes, per mode.',
      oneOf: [
        object({ method: { const: 'PUT' }, url: str(), headers: stringMap }),
        object({ method: { const: 'POST' }, url: str(), fields: stringMap }),
        object({ method: { const: 'MULTIPART' }, partSize: int(1), partCount: int(1) }),
      ],
    },
    expiresAt: dateTime,
  }),
  CompletedUpload: object({ id: uuid, status: { enum: [...UPLOAD_STATUSES] } }),
  DeletedUpload: object({ id: uuid, status: { const: 'deleted' } }),
  PartUrls: object({
    parts: { type: 'array', items: object({ partNumber: int(1), url: str(), headers: stringMap }) },
  }),
  StoredParts: object({ parts: { type: 'array', items: object({ partNumber: int(1), etag: str(), size: int(0) }) } }),
  ApiKey: object(ApiKey),
  CreatedApiKey: object({ ...ApiKey, key: str('The key itself: shown in this response only.') }),
  ApiKeyList: object({ apiKeys: { type: 'array', items: ref('ApiKey') } }),
  CreatedUploadToken: object({ id: uuid, token: str('`ut_…`, shown once.'), expiresAt: dateTime }),
  TenantPolicy: (({ $schema: _dialect, ...schema }) => schema)(z.toJSONSchema(tenantPolicySchema, { target: 'draft-2020-12' })) as Schema,
  CreatedTenant: object({
    id: uuid,
    name: str(),
    apiKey: str('The first API key (`ik_…`), named "default"; shown once.'),
    webhookEndpointId: nullable(uuid),
    webhookSecret: nullable(str()),
    policy: ref('TenantPolicy'),
  }),
  UpdatedTenant: object({ id: uuid, policy: ref('TenantPolicy') }),
  Tenant: object({
    id: uuid,
    name: str(),
    policy: ref('TenantPolicy'),
    defaults: object({ maxFileSize: int(1) }),
    usage: object({ storedBytes: int(0) }),
  }),
  Health: object(
    {
      status: { enum: ['ok', 'degraded', 'unavailable'] },
      checks: object({ database: { enum: ['up', 'down'] }, temporal: { enum: ['up', 'down'] }, storage: { enum: ['up', 'down'] } }),
      degraded: { type: 'array', items: { const: 'redis' } },
      error: ref('UploadError'),
    },
    ['degraded', 'error'],
  ),
  WebhookEndpoint: object(WebhookEndpoint),
  WebhookEndpointWithSecret: object({ ...WebhookEndpoint, secret: str('`whsec_…`, shown on creation and rotation only.') }),
  WebhookEndpointList: object({ items: { type: 'array', items: ref('WebhookEndpoint') } }),
  WebhookDelivery: object({
    id: uuid,
    webhookId: str('The `webhook-id` header: the same for this event on every endpoint and attempt.'),
    eventType: { enum: [...WEBHOOK_EVENT_TYPES] },
    uploadId: uuid,
    endpointId: uuid,
    status: { enum: [...DELIVERY_STATUSES] },
    failureReason: nullable({ enum: Object.keys(FAILURES) }),
    nextAttemptAt: nullable(dateTime),
    attemptCount: int(0),
    attempts: {
      type: 'array',
      items: object({
        at: dateTime,
        statusCode: nullable(int()),
        latencyMs: nullable({ type: 'number' }),
        error: nullable(str()),
        response: nullable(str()),
      }),
    },
    createdAt: dateTime,
  }),
  WebhookDeliveryPage: object({ items: { type: 'array', items: ref('WebhookDelivery') }, nextCursor: nullable(str()) }),
  WebhookEvent: object({
    type: { enum: [...WEBHOOK_EVENT_TYPES] },
    timestamp: dateTime,
    data: ref('Upload'),
  }),
  PresignedPost: object({ method: { const: 'POST' }, url: str(), fields: stringMap }),
  UppyMultipartCreated: object({ uploadId: uuid, key: str() }),
  UppyPartUrl,
  UppyParts: { type: 'array', items: object({ PartNumber: int(1), Size: int(0), ETag: str() }) },
  UppyCompleted: object({ location: str(), key: str() }),
  Empty: object({}),
  RerunStarted: object({ id: uuid, status: { enum: [...UPLOAD_STATUSES] } }),
  BatchStarted: object({ started: int(0), batchId: str('The batch workflow (`temporal workflow describe`).') }),
  DemoUploadToken: object({ token: str('`ut_…` of the demo tenant.'), expiresAt: dateTime }),
} satisfies Record<string, Schema>;

export type SchemaName = keyof typeof SCHEMAS;
/** `{ $ref }` to a component schema. */
export const schemaRef = (name: SchemaName) => ref(name) as { $ref: string };
