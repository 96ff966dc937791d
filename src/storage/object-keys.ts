/**
 * Deterministic object keys: a retried activity writes the same key, so outputs are overwritten,
 * never duplicated. User input (filenames) never reaches a key.
 *
 * Trust boundary: `incoming` is the only key a client ever gets a URL for. Once verify has checked
 * it, the worker copies it (conditional on the ETag recorded at complete) to `original`, which no
 * presigned URL names, and every later step reads `original` only.
 */
export const objectKeys = {
  // A prefix of its own, so a bucket lifecycle rule can expire what clients left behind.
  incoming: (tenantId: string, uploadId: string) => `incoming/${tenantId}/${uploadId}`,
  original: (tenantId: string, uploadId: string) => `uploads/${tenantId}/${uploadId}/original`,
  /** Everything Intake keeps for an upload (original and outputs); deletion removes the whole prefix. */
  storedPrefix: (tenantId: string, uploadId: string) => `uploads/${tenantId}/${uploadId}/`,
  outputsPrefix: (tenantId: string, uploadId: string) => `uploads/${tenantId}/${uploadId}/outputs/`,
  output: (tenantId: string, uploadId: string, file: string) => `uploads/${tenantId}/${uploadId}/outputs/${file}`,
  quarantine: (tenantId: string, uploadId: string) => `quarantine/${tenantId}/${uploadId}/original`,
  /** A video's source cut at keyframes, for transcode workers to fetch one segment each; removed once joined. */
  segmentsPrefix: (tenantId: string, uploadId: string) => `uploads/${tenantId}/${uploadId}/segments/`,
  segment: (tenantId: string, uploadId: string, index: number) => `uploads/${tenantId}/${uploadId}/segments/${String(index).padStart(5, '0')}.mkv`,
};
