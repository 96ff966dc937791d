import { matchesTypePattern, smallestLimit, tenantPolicySchema, typeAllowedBy } from '../../src/tenants/tenant-policy';

describe('tenant policy', () => {
  it('matches MIME patterns on canonical types', () => {
    expect(matchesTypePattern('image/jpg', 'image/jpeg')).toBe(true);
    expect(matchesTypePattern('image/png', 'image/*')).toBe(true);
    expect(matchesTypePattern('imagex/png', 'image/*')).toBe(false);
    expect(matchesTypePattern('video/mp4', 'image/*')).toBe(false);
    expect(matchesTypePattern('application/pdf', '*/*')).toBe(true);
    expect(typeAllowedBy('video/mp4', ['image/*', 'application/pdf'])).toBe(false);
    expect(typeAllowedBy('video/mp4', null)).toBe(true);
  });

  it('refuses unknown fields and malformed patterns', () => {
    expect(tenantPolicySchema.safeParse({ maxFileSize: 10, allowedTypes: ['image/*'] }).success).toBe(true);
    expect(tenantPolicySchema.safeParse({ maxFilesize: 10 }).success).toBe(false);
    expect(tenantPolicySchema.safeParse({ allowedTypes: ['image'] }).success).toBe(false);
    expect(tenantPolicySchema.safeParse({ allowedTypes: ['*/png'] }).success).toBe(false);
    expect(tenantPolicySchema.safeParse({ rateLimit: { requests: 0, windowSeconds: 1 } }).success).toBe(false);
    expect(tenantPolicySchema.safeParse({ outputs: ['thumbnail'] }).success).toBe(true);
    expect(tenantPolicySchema.safeParse({ outputs: ['poster', 'waveform'] }).success).toBe(true);
    expect(tenantPolicySchema.safeParse({ outputs: ['hls'] }).success).toBe(true);
    expect(tenantPolicySchema.safeParse({ outputs: ['dash'] }).success).toBe(false);
  });

  it('takes the smallest applicable limit', () => {
    expect(smallestLimit(100, undefined, 50, null)).toBe(50);
    expect(() => smallestLimit(undefined)).toThrow();
  });
});
