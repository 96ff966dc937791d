import { partLength, planParts } from '../../src/uploads/modes/multipart';

const MiB = 1024 ** 2;

describe('planParts', () => {
  it('uses the configured part size while it fits in 10,000 parts', () => {
    expect(planParts(1, 8 * MiB)).toEqual({ partSize: 8 * MiB, partCount: 1 });
    expect(planParts(8 * MiB, 8 * MiB)).toEqual({ partSize: 8 * MiB, partCount: 1 });
    expect(planParts(8 * MiB + 1, 8 * MiB)).toEqual({ partSize: 8 * MiB, partCount: 2 });
    expect(planParts(10_000 * 8 * MiB, 8 * MiB)).toEqual({ partSize: 8 * MiB, partCount: 10_000 });
  });

  it('grows the part size (in whole MiB) only as far as needed to stay within 10,000 parts', () => {
    const plan = planParts(10_000 * 8 * MiB + 1, 8 * MiB);
    expect(plan).toEqual({ partSize: 9 * MiB, partCount: Math.ceil((10_000 * 8 * MiB + 1) / (9 * MiB)) });
    expect(plan.partCount).toBeLessThanOrEqual(10_000);
    const huge = planParts(5 * 1024 ** 4, 8 * MiB);
    expect(huge.partCount).toBeLessThanOrEqual(10_000);
    expect(huge.partSize % MiB).toBe(0);
  });

  it('gives every part its exact length, the last one the rest', () => {
    const size = 2 * 5 * MiB + 7;
    expect([1, 2, 3].map((n) => partLength(size, 5 * MiB, n))).toEqual([5 * MiB, 5 * MiB, 7]);
    expect(partLength(5 * MiB, 5 * MiB, 1)).toBe(5 * MiB);
  });
});
