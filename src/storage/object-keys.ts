/**
 * Deterministic object keys: a retried activity writes the same key, so outputs are overwritten,
 * never duplicated. User input (filenames) never reaches a key.
 */
export const objectKeys = {
  source: (tenantId: string, uploadId: string) => `uploads/${tenantId}/${uploadId}/source`,
  output: (tenantId: string, uploadId: string, file: string) => `uploads/${tenantId}/${uploadId}/outputs/${file}`,
  quarantine: (tenantId: string, uploadId: string) => `quarantine/${tenantId}/${uploadId}/source`,
};
