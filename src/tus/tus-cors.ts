/**
 * What the app's CORS middleware (app.enableCors, registered before the tus mount in main.ts) must
 * allow and expose for browser tus clients: the tus mount drops the tus library's own
 * Access-Control-* headers so that one CORS policy governs the whole API.
 */
export const TUS_CORS = {
  methods: ['POST', 'HEAD', 'PATCH', 'DELETE', 'OPTIONS'],
  allowedHeaders: [
    'Authorization',
    'Content-Type',
    'Tus-Resumable',
    'Upload-Length',
    'Upload-Defer-Length',
    'Upload-Metadata',
    'Upload-Offset',
    'Upload-Concat',
    'X-Requested-With',
    'X-HTTP-Method-Override',
    'X-Request-Id',
  ],
  exposedHeaders: [
    'Location',
    'Tus-Resumable',
    'Tus-Version',
    'Tus-Extension',
    'Tus-Max-Size',
    'Upload-Offset',
    'Upload-Length',
    'Upload-Defer-Length',
    'Upload-Metadata',
    'Upload-Expires',
    'X-Request-Id',
  ],
} as const;
