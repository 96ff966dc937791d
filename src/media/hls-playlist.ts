/**
 * HLS playlists (RFC 8216) from the pieces a segmented transcode recorded. Pure: the caller gives
 * every URI (the API signs them), and nothing it passes can add a line to the playlist.
 */

export interface VariantStream {
  /** Peak bits per second over the variant's pieces. */
  bandwidth: number;
  /** Bits per second over the whole variant. */
  averageBandwidth?: number;
  width: number;
  height: number;
  /** RFC 6381, e.g. "avc1.64001f,mp4a.40.2". */
  codecs: string;
}

export interface MediaPiece {
  durationSeconds: number;
}

/** The master playlist: one variant stream per rung, lowest first as given. */
export function masterPlaylist<V extends VariantStream>(variants: readonly V[], uriFor: (variant: V, index: number) => string): string {
  if (variants.length === 0) throw new Error('A master playlist needs at least one variant');
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  variants.forEach((v, i) => {
    const attributes = [
      `BANDWIDTH=${positiveInteger(v.bandwidth, 'BANDWIDTH')}`,
      ...(v.averageBandwidth === undefined ? [] : [`AVERAGE-BANDWIDTH=${positiveInteger(v.averageBandwidth, 'AVERAGE-BANDWIDTH')}`]),
      `RESOLUTION=${positiveInteger(v.width, 'width')}x${positiveInteger(v.height, 'height')}`,
      `CODECS="${codecsAttribute(v.codecs)}"`,
    ];
    lines.push(`#EXT-X-STREAM-INF:${attributes.join(',')}`, safeUri(uriFor(v, i)));
  });
  return `${lines.join('\n')}\n`;
}

/** A VOD media playlist: every piece, in order, then the end. */
export function mediaPlaylist<P extends MediaPiece>(pieces: readonly P[], uriFor: (piece: P, index: number) => string): string {
  if (pieces.length === 0) throw new Error('A media playlist needs at least one piece');
  const durations = pieces.map((p) => extinf(p.durationSeconds));
  // The target is an integer no EXTINF exceeds (RFC 8216 4.3.3.1), so it is taken from the printed values.
  const target = Math.max(1, Math.ceil(Math.max(...durations.map(Number))));
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    `#EXT-X-TARGETDURATION:${target}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
  ];
  pieces.forEach((p, i) => lines.push(`#EXTINF:${durations[i]},`, safeUri(uriFor(p, i))));
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/** A variant's BANDWIDTH (the peak piece) and AVERAGE-BANDWIDTH (all pieces) from its pieces. */
export function variantBandwidth(pieces: ReadonlyArray<{ bytes: number; durationSeconds: number }>): {
  bandwidth: number;
  averageBandwidth: number;
} {
  if (pieces.length === 0) throw new Error('A variant needs at least one piece');
  const bytes = pieces.reduce((sum, p) => sum + p.bytes, 0);
  const seconds = pieces.reduce((sum, p) => sum + p.durationSeconds, 0);
  return {
    bandwidth: Math.max(...pieces.map((p) => Math.ceil((p.bytes * 8) / p.durationSeconds))),
    averageBandwidth: Math.ceil((bytes * 8) / seconds),
  };
}

function extinf(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`A piece cannot last ${seconds} s`);
  return seconds.toFixed(3);
}

function positiveInteger(n: number, what: string): number {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${what} must be a positive integer, not ${n}`);
  return n;
}

/** Inside a quoted attribute: no quote, no line break, nothing but what codec names use. */
function codecsAttribute(codecs: string): string {
  if (!/^[A-Za-z0-9.]+(,[A-Za-z0-9.]+)*$/.test(codecs)) throw new Error(`Not a CODECS value: ${JSON.stringify(codecs)}`);
  return codecs;
}

/** A URI line: a line break would let it add tags or entries of its own; '#' would make it a tag. */
function safeUri(uri: string): string {
  if (uri.length === 0 || /[\u0000-\u001f\u007f]/.test(uri) || uri.startsWith('#')) {
    throw new Error(`Not a playlist URI: ${JSON.stringify(uri)}`);
  }
  return uri;
}
