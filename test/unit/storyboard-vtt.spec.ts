import { storyboardCues, storyboardLayout, storyboardVtt, vttTime } from '../../src/media/storyboard';
import { parseStoryboardVtt } from '../support/media';

/** Every property a player relies on: contiguous cover of [0, duration], regions inside the sheet. */
function expectWellFormed(duration: number, width: number, height: number) {
  const layout = storyboardLayout(duration, { width, height });
  const cues = parseStoryboardVtt(storyboardVtt(storyboardCues(duration, layout), 'sprite.jpg'));
  expect(cues.length).toBe(layout.tiles);
  expect(layout.tiles).toBeLessThanOrEqual(100);
  expect(layout.columns).toBeLessThanOrEqual(10);
  expect(layout.rows).toBeLessThanOrEqual(10);
  expect(cues[0]!.start).toBe(0);
  expect(cues.at(-1)!.end).toBeCloseTo(duration, 3);
  const regions = new Set<string>();
  cues.forEach((cue, i) => {
    expect(cue.end).toBeGreaterThan(cue.start);
    if (i > 0) expect(cue.start).toBe(cues[i - 1]!.end); // no gap, no overlap
    const [x, y, w, h] = cue.xywh;
    expect([w, h]).toEqual([layout.tileWidth, layout.tileHeight]);
    expect(x + w).toBeLessThanOrEqual(layout.sheetWidth);
    expect(y + h).toBeLessThanOrEqual(layout.sheetHeight);
    regions.add(`${x},${y}`);
    expect(cue.url).toBe('sprite.jpg');
  });
  expect(regions.size).toBe(cues.length); // each tile used once
  return { layout, cues };
}

describe('storyboard layout and WebVTT', () => {
  it('covers a 40 s 16:9 clip with one tile a second, 10 per row', () => {
    const { layout, cues } = expectWellFormed(40, 1280, 720);
    expect(layout).toMatchObject({ intervalSeconds: 1, columns: 10, rows: 4, tileWidth: 160, tileHeight: 90, sheetWidth: 1600, sheetHeight: 360 });
    expect(cues[11]).toMatchObject({ start: 11, end: 12, xywh: [160, 90, 160, 90] });
  });

  it.each([
    [0.4, 640, 360],
    [1, 640, 360],
    [7.52, 360, 640],
    [99.999, 1920, 1080],
    [100, 1920, 1080],
    [100.04, 1920, 1080],
    [3600, 1920, 800],
    [4 * 3600 + 0.5, 1280, 720],
  ])('covers %s s of %sx%s contiguously with at most 10x10 tiles inside the sheet', (duration, width, height) => {
    expectWellFormed(duration, width, height);
  });

  it('ends the last cue at the duration, not at a whole interval', () => {
    const { cues } = expectWellFormed(12.345, 640, 480);
    expect(cues.at(-1)).toMatchObject({ start: 12, end: 12.345 });
  });

  it('grows the interval with the duration so a 4-hour video still fits one 10x10 sheet', () => {
    const layout = storyboardLayout(4 * 3600, { width: 1280, height: 720 });
    expect(layout).toMatchObject({ intervalSeconds: 144, tiles: 100, columns: 10, rows: 10 });
  });

  it('keeps tile heights even (yuv420p) for odd aspect ratios', () => {
    expect(storyboardLayout(10, { width: 1000, height: 333 }).tileHeight % 2).toBe(0);
    expect(storyboardLayout(10, { width: 360, height: 640 }).tileHeight).toBe(284);
  });

  it('refuses a duration it cannot cover', () => {
    expect(() => storyboardLayout(0, { width: 640, height: 360 })).toThrow();
    expect(() => storyboardLayout(Number.NaN, { width: 640, height: 360 })).toThrow();
  });

  it('writes WebVTT timestamps as hh:mm:ss.mmm', () => {
    expect(vttTime(0)).toBe('00:00:00.000');
    expect(vttTime(3723.4567)).toBe('01:02:03.457');
    expect(vttTime(59.9996)).toBe('00:01:00.000');
  });
});
