import type { OpenAPIObject } from '@nestjs/swagger';
import { WEBHOOK_EVENT_TYPES } from '../../workflows/contract';
import { TUS_PATH } from '../tus/tus-endpoint';
import { WEBHOOK_EVENT_EXAMPLES } from '../webhooks/event-examples';
import { SECURITY } from './decorators';
import { schemaRef } from './schemas';

const error = { description: 'A catalogue error.', content: { 'application/json': { schema: schemaRef('ErrorBody') } } };
const tenantSecurity: Array<Record<string, string[]>> = [{ [SECURITY.apiKey]: [] }, { [SECURITY.uploadToken]: [] }];
const tusHeader = (name: string, description: string, required = false) => ({
  name,
  in: 'header' as const,
  required,
  description,
  schema: { type: 'string' },
});
const tusResumable = tusHeader('Tus-Resumable', 'Always `1.0.0`.', true);
const tusId = { name: 'id', in: 'path' as const, required: true, description: 'The Intake upload id.', schema: { type: 'string', format: 'uuid' } };

/**
 * tus 1.0 is served by @tus/server mounted on Express (src/tus/tus-endpoint.ts), not by a Nest
 * controller, so its routes are described here. The protocol is https://tus.io/protocols/resumable-upload.
 */
export const TUS_PATHS: OpenAPIObject['paths'] = {
  [TUS_PATH]: {
    options: {
      tags: ['tus'],
      operationId: 'tus_options',
      summary: 'tus capabilities (no credentials)',
      security: [],
      responses: { '204': { description: 'Tus-Version, Tus-Extension, Tus-Max-Size.' } },
    },
    post: {
      tags: ['tus'],
      operationId: 'tus_create',
      summary: 'Create a tus upload (creation, creation-with-upload, creation-defer-length)',
      description: 'Upload-Metadata must carry `filename` and `filetype`; other keys become client metadata.',
      security: tenantSecurity,
      parameters: [
        tusResumable,
        tusHeader('Upload-Length', 'Total size in bytes (or Upload-Defer-Length: 1).'),
        tusHeader('Upload-Defer-Length', '`1` when the size is not known yet.'),
        tusHeader('Upload-Metadata', 'Comma-separated `key base64value` pairs.', true),
      ],
      responses: { '201': { description: 'Created: Location names /v1/tus/{id}, where {id} is the upload id.' }, default: error },
    },
  },
  [`${TUS_PATH}/{id}`]: {
    head: {
      tags: ['tus'],
      operationId: 'tus_offset',
      summary: 'How many bytes the server holds (Upload-Offset)',
      security: tenantSecurity,
      parameters: [tusId, tusResumable],
      responses: { '200': { description: 'Upload-Offset and Upload-Length headers.' }, default: error },
    },
    patch: {
      tags: ['tus'],
      operationId: 'tus_append',
      summary: 'Append bytes at Upload-Offset',
      security: tenantSecurity,
      parameters: [tusId, tusResumable, tusHeader('Upload-Offset', 'Where these bytes start.', true)],
      requestBody: { required: true, content: { 'application/offset+octet-stream': { schema: { type: 'string', format: 'binary' } } } },
      responses: { '204': { description: 'The new Upload-Offset.' }, default: error },
    },
    delete: {
      tags: ['tus'],
      operationId: 'tus_terminate',
      summary: 'Abandon an unfinished tus upload (termination)',
      security: tenantSecurity,
      parameters: [tusId, tusResumable],
      responses: { '204': { description: 'Terminated.' }, default: error },
    },
  },
};

const signatureHeaders = [
  { name: 'webhook-id', description: 'The same for this event on every endpoint and attempt: de-duplicate on it.' },
  { name: 'webhook-timestamp', description: 'Unix seconds of this attempt.' },
  { name: 'webhook-signature', description: '`v1,<base64 HMAC-SHA256>`, space-separated during a secret rotation.' },
].map(({ name, description }) => ({ name, in: 'header' as const, required: true, description, schema: { type: 'string' } }));

/**
 * What Intake POSTs to a tenant's endpoints, signed per Standard Webhooks (standardwebhooks.com)
 * with the endpoint's `whsec_…` secret. A 2xx answer acknowledges; anything else is retried on
 * WEBHOOK_RETRY_SCHEDULE, and 410 disables the endpoint.
 */
export const WEBHOOKS: NonNullable<OpenAPIObject['webhooks']> = Object.fromEntries(
  WEBHOOK_EVENT_TYPES.map((type) => [
    type,
    {
      post: {
        operationId: `webhook_${type.replace('.', '_')}`,
        summary: `The \`${type}\` event`,
        tags: ['Webhook events'],
        parameters: signatureHeaders,
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { allOf: [schemaRef('WebhookEvent'), { properties: { type: { enum: [type] } } }] },
              example: WEBHOOK_EVENT_EXAMPLES[type],
            },
          },
        },
        responses: {
          '2XX': { description: 'Received: no further attempts.' },
          '410': { description: 'Gone: Intake disables the endpoint.' },
          default: { description: 'Not received: retried on the schedule.' },
        },
      },
    },
  ]),
);
