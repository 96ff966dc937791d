import { ladderFor } from '../../src/media/segment-encoder';
import { planSegments } from '../../src/media/video-segments';

const every = (step: number, until: number) => Array.from({ length: Math.ceil(until / step) }, (_, i) => i * step);

describe('planSegments', () => {
  it('cuts only at keyframes, every segment at least the target', () => {
    const plan = planSegments(every(2, 36), 36, 10);
    expect(plan).toEqual([
      { index: 0, startSeconds: 0, durationSeconds: 10 },
      { index: 1, startSeconds: 10, durationSeconds: 10 },
      { index: 2, startSeconds: 20, durationSeconds: 16 },
    ]);
  });

  it('waits for the next keyframe when none falls on the target', () => {
    const plan = planSegments([0, 3, 7, 13, 14, 25, 31, 38], 45, 10);
    expect(plan.map((s) => s.startSeconds)).toEqual([0, 13, 25]);
    expect(plan.map((s) => s.durationSeconds)).toEqual([13, 12, 20]);
  });

  it('leaves a video shorter than twice the target in one piece', () => {
    expect(planSegments(every(2, 19.9), 19.9, 10)).toEqual([{ index: 0, startSeconds: 0, durationSeconds: 19.9 }]);
    expect(planSegments([0], 4, 10)).toEqual([{ index: 0, startSeconds: 0, durationSeconds: 4 }]);
    expect(planSegments(every(2, 20), 20, 10)).toHaveLength(2);
  });

  it('covers the whole duration, in order, whatever order and duplicates the keyframes come in', () => {
    const keyframes = [...every(1.5, 120), 30, 60, 3].reverse();
    const plan = planSegments(keyframes, 120, 8);
    expect(plan[0]!.startSeconds).toBe(0);
    expect(plan.reduce((sum, s) => sum + s.durationSeconds, 0)).toBeCloseTo(120, 9);
    for (const [i, s] of plan.entries()) {
      expect(s.index).toBe(i);
      expect(s.durationSeconds).toBeGreaterThanOrEqual(8);
      if (i > 0) expect(keyframes).toContain(s.startSeconds);
      if (i > 0) expect(s.startSeconds).toBeCloseTo(plan[i - 1]!.startSeconds + plan[i - 1]!.durationSeconds, 9);
    }
  });

  it('ignores keyframes outside the video and refuses nonsense targets', () => {
    expect(planSegments([-1, 0, 50], 30, 10)).toHaveLength(1);
    expect(() => planSegments([0], 30, 0)).toThrow();
    expect(() => planSegments([0], 0, 10)).toThrow();
  });
});

describe('ladderFor', () => {
  const sizes = (w: number, h: number) => ladderFor(w, h).map((r) => `${r.name} ${r.width}x${r.height}`);

  it('offers the rungs at or below the source, never above', () => {
    expect(sizes(1920, 1080)).toEqual(['360p 640x360', '720p 1280x720', '1080p 1920x1080']);
    expect(sizes(3840, 2160)).toEqual(['360p 640x360', '720p 1280x720', '1080p 1920x1080']);
    expect(sizes(1280, 720)).toEqual(['360p 640x360', '720p 1280x720']);
    expect(sizes(854, 480)).toEqual(['360p 640x360']);
    expect(sizes(1280, 714)).toEqual(['360p 646x360']);
  });

  it('keeps the aspect ratio, portrait included, with even dimensions', () => {
    expect(sizes(1080, 1920)).toEqual(['360p 360x640', '720p 720x1280', '1080p 1080x1920']);
    expect(sizes(1440, 1080)).toEqual(['360p 480x360', '720p 960x720', '1080p 1440x1080']);
    for (const r of ladderFor(1001, 563)) expect([r.width % 2, r.height % 2]).toEqual([0, 0]);
  });

  it('gives a source under 360p one rung at its own (even) size', () => {
    expect(sizes(320, 240)).toEqual(['240p 320x240']);
    expect(sizes(255, 143)).toEqual(['142p 254x142']);
  });

  it('gives every rung a bitrate under its ceiling and buffer, higher rungs more', () => {
    const rungs = ladderFor(1920, 1080);
    for (const r of rungs) {
      expect(r.videoBitrate).toBeLessThan(r.maxrate);
      expect(r.maxrate).toBeLessThanOrEqual(r.bufsize);
      expect(r.audioBitrate).toBeGreaterThan(0);
    }
    expect(rungs.map((r) => r.videoBitrate)).toEqual([...rungs.map((r) => r.videoBitrate)].sort((a, b) => a - b));
    expect(ladderFor(320, 240)[0]!.videoBitrate).toBeLessThan(rungs[0]!.videoBitrate);
  });

  it('refuses a video with no size', () => {
    expect(() => ladderFor(0, 0)).toThrow();
    expect(() => ladderFor(Number.NaN, 720)).toThrow();
  });
});
