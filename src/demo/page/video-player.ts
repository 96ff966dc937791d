import Hls from 'hls.js';
import { el } from './dom';
import { StoryboardCue, parseStoryboard } from './upload-routing';

/** The `hls` ladder in hls.js (Safari plays it natively), with the storyboard's tiles underneath to seek by. */
export class VideoPlayer {
  readonly root: HTMLElement;
  readonly video = el('video', { controls: '', muted: '', playsinline: '', preload: 'metadata' });
  private readonly storyboard = el('div', { class: 'storyboard', 'aria-label': 'storyboard' });
  private hls: Hls | null = null;

  constructor(hlsUrl: string, storyboardUrl: string | null) {
    this.video.muted = true;
    this.root = el('div', { class: 'player' }, this.video, this.storyboard);
    if (Hls.isSupported()) {
      // No worker: the page's CSP allows none (worker-src 'none').
      this.hls = new Hls({ enableWorker: false });
      this.hls.on(Hls.Events.ERROR, (_event, data) => {
        if (data.fatal) this.root.dataset.error = `${data.type}/${data.details}`;
      });
      this.hls.loadSource(hlsUrl);
      this.hls.attachMedia(this.video);
    } else {
      this.video.src = hlsUrl;
    }
    if (storyboardUrl) void this.loadStoryboard(storyboardUrl);
  }

  destroy(): void {
    this.hls?.destroy();
  }

  private async loadStoryboard(url: string): Promise<void> {
    const res = await fetch(url);
    if (!res.ok) return;
    const cues = parseStoryboard(await res.text());
    if (!cues.length) return;
    // Tiles are windows onto one sheet: mark the storyboard loaded once the sheet has decoded.
    const sheet = new Image();
    sheet.onload = () => {
      if (sheet.naturalWidth > 0) this.storyboard.dataset.loaded = 'true';
    };
    sheet.src = cues[0]!.sheet;
    this.storyboard.replaceChildren(...cues.map((cue) => this.tile(cue)));
    this.video.addEventListener('timeupdate', () => {
      for (const tile of this.storyboard.children as HTMLCollectionOf<HTMLElement>) {
        const start = Number(tile.dataset.start);
        const end = Number(tile.dataset.end);
        tile.classList.toggle('current', this.video.currentTime >= start && this.video.currentTime < end);
      }
    });
  }

  private tile(cue: StoryboardCue): HTMLElement {
    const tile = el('button', { type: 'button', class: 'tile', title: `${cue.start.toFixed(0)} s`, 'data-start': String(cue.start), 'data-end': String(cue.end) });
    // CSSOM properties, not a style attribute: the CSP allows no inline styles.
    tile.style.width = `${cue.w}px`;
    tile.style.height = `${cue.h}px`;
    tile.style.backgroundImage = `url("${cue.sheet}")`;
    tile.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
    tile.addEventListener('click', () => {
      this.video.currentTime = cue.start;
      void this.video.play();
    });
    return tile;
  }
}
