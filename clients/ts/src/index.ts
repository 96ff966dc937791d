import { IntakeApi, IntakeClientOptions, Upload, createIntakeApi, unwrap } from './client';
import { UploadFileOptions, uploadFile } from './upload-file';
import { WaitOptions, uploadEvents, waitUntilReady } from './wait';

export { IntakeApiError, createIntakeApi, unwrap } from './client';
export type { ErrorBody, ErrorCode, IntakeApi, IntakeClientOptions, Upload } from './client';
export { DEFAULT_MULTIPART_THRESHOLD, contentTypeFor, uploadFile } from './upload-file';
export type { ResumeState, UploadFileOptions, UploadProgress } from './upload-file';
export { TERMINAL_STATUSES, WaitTimeoutError, uploadEvents, waitUntilReady } from './wait';
export type { WaitOptions } from './wait';
export type { components, operations, paths, webhooks } from './schema';

/** The Intake API, typed: `api` for any call, and helpers for the upload flow. */
export interface IntakeClient {
  api: IntakeApi;
  uploadFile(file: string | Blob, options?: UploadFileOptions): Promise<string>;
  waitUntilReady(id: string, options?: WaitOptions): Promise<Upload>;
  getUpload(id: string, signal?: AbortSignal): Promise<Upload>;
  events(id: string, signal?: AbortSignal): AsyncGenerator<Upload>;
}

export function createIntakeClient(options: IntakeClientOptions): IntakeClient {
  const api = createIntakeApi(options);
  return {
    api,
    uploadFile: (file, opts) => uploadFile(api, file, opts),
    waitUntilReady: (id, opts) => waitUntilReady(api, id, opts),
    getUpload: async (id, signal) => unwrap(await api.GET('/v1/uploads/{id}', { params: { path: { id } }, signal })),
    events: (id, signal) => uploadEvents(api, id, signal),
  };
}
