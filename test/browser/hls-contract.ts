// What the HLS test page (hls-page.ts, in the browser) and its spec (in node) exchange.

export interface HlsPlay {
  /** The master playlist. */
  url: string;
  /** Where playback starts (hls.js's startPosition); default the beginning. */
  startSeconds?: number;
  /** Resolve once the video's currentTime passes this. */
  untilSeconds: number;
  /** Give up (and report what happened so far) after this long. */
  timeoutMs: number;
}

export interface HlsPlayResult {
  currentTime: number;
  /** hls.js's fatal error ("<type>/<details>"), if one ended playback. */
  fatal: string | null;
  /** Every hls.js error, fatal or not. */
  errors: string[];
  /** The heights of the levels hls.js found in the master playlist. */
  levels: number[];
  videoHeight: number;
  timedOut: boolean;
}
