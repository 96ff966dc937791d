// Runs in headless Chromium (bundled by test/support/browser.ts): hls.js plays a master playlist
// into a <video> through Media Source Extensions, exactly as a tenant's page would.
import Hls from 'hls.js';
import type { HlsPlay, HlsPlayResult } from './hls-contract';

function playHls(run: HlsPlay): Promise<HlsPlayResult> {
  document.querySelector('video')?.remove();
  const video = document.createElement('video');
  video.muted = true; // autoplay without a user gesture
  document.body.append(video);
  const hls = new Hls({ startPosition: run.startSeconds ?? -1 });
  const errors: string[] = [];
  let levels: number[] = [];
  return new Promise((resolve) => {
    const finish = (fatal: string | null, timedOut = false) => {
      clearTimeout(deadline);
      resolve({ currentTime: video.currentTime, fatal, errors, levels, videoHeight: video.videoHeight, timedOut });
      hls.destroy();
    };
    const deadline = setTimeout(() => finish(null, true), run.timeoutMs);
    hls.on(Hls.Events.ERROR, (_event, data) => {
      const what = `${data.type}/${data.details}`;
      errors.push(what);
      if (data.fatal) finish(what);
    });
    hls.on(Hls.Events.MANIFEST_PARSED, (_event, data) => {
      levels = data.levels.map((l) => l.height);
      void video.play().catch((err: unknown) => errors.push(`play/${String(err)}`));
    });
    video.addEventListener('timeupdate', () => {
      if (video.currentTime > run.untilSeconds) finish(null);
    });
    hls.loadSource(run.url);
    hls.attachMedia(video);
  });
}

(window as unknown as { playHls: typeof playHls }).playHls = playHls;
