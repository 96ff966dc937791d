// What the Uppy test page (uppy-page.ts, in the browser) and its spec (in node) exchange. No DOM
// types here: the spec's side is compiled for node.

export interface UppyRun {
  /** `<API>/v1/uppy/<ut_token>` */
  companionEndpoint: string;
  name: string;
  type: string;
  /** The file's bytes, base64 (small files) ... */
  base64?: string;
  /** ... or a text file of this many bytes, built in the page (large files). */
  textSize?: number;
  metadata?: Record<string, string>;
}

export interface UppyResult {
  successful: number;
  failed: Array<{ name: string; error: string }>;
  multipart: boolean;
}
