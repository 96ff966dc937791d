import { Webhook } from 'standardwebhooks';
import { afterAttempt, healthAfter } from '../../src/webhooks/delivery-attempts';
import { DEFAULT_RETRY_SCHEDULE, parseRetrySchedule } from '../../src/webhooks/retry-schedule';
import { SendResult, signatures } from '../../src/webhooks/webhook-sender';

const result = (over: Partial<SendResult>): SendResult => ({
  ok: false,
  status: 500,
  latencyMs: 3,
  error: 'POST https://hooks.example/in answered 500',
  response: null,
  refused: false,
  permanent: false,
  logFields: {},
  ...over,
});

describe('WEBHOOK_RETRY_SCHEDULE', () => {
  it('defaults to eight attempts over about 27.6 hours', () => {
    const delays = parseRetrySchedule(DEFAULT_RETRY_SCHEDULE) as number[];
    expect(delays).toHaveLength(8);
    expect(delays[0]).toBe(0);
    expect(delays.reduce((a, b) => a + b, 0) / 3_600_000).toBeCloseTo(27.59, 1);
  });

  it('reads one delay per attempt with units', () => {
    expect(parseRetrySchedule('0s,1s,2s,3s')).toEqual([0, 1000, 2000, 3000]);
    expect(parseRetrySchedule(' 250ms , 1.5m ,1h,1d')).toEqual([250, 90_000, 3_600_000, 86_400_000]);
  });

  it.each([['5'], ['0s,,1s'], ['-1s'], ['1w'], ['8d'], [Array(21).fill('1s').join(',')]])('refuses %j', (raw) => {
    expect(typeof parseRetrySchedule(raw)).toBe('string');
  });
});

describe('where an attempt leaves its delivery', () => {
  const now = new Date('2026-11-30T12:00:00Z');

  it('2xx: delivered', () => {
    expect(afterAttempt(result({ ok: true, status: 204, error: null }), 5000, now)).toEqual({ status: 'succeeded' });
  });

  it('another status or a network error: the next scheduled attempt, or failed when none is left', () => {
    expect(afterAttempt(result({}), 5000, now)).toEqual({ status: 'pending', nextAttemptAt: new Date('2026-11-30T12:00:05Z') });
    expect(afterAttempt(result({ status: null, error: 'timed out' }), 5000, now)).toMatchObject({ status: 'pending' });
    expect(afterAttempt(result({ status: 302 }), 5000, now)).toMatchObject({ status: 'pending' });
    expect(afterAttempt(result({}), null, now)).toEqual({ status: 'failed', reason: 'exhausted' });
  });

  it('410 Gone ends the delivery at once (the endpoint is disabled)', () => {
    expect(afterAttempt(result({ status: 410 }), 5000, now)).toEqual({ status: 'failed', reason: 'endpoint_gone' });
  });

  it('a URL refused for good ends it; one refused because of what its name resolves to is retried', () => {
    expect(afterAttempt(result({ status: null, refused: true, permanent: true }), 5000, now)).toEqual({ status: 'failed', reason: 'url_refused' });
    expect(afterAttempt(result({ status: null, refused: true, permanent: false }), 5000, now)).toMatchObject({ status: 'pending' });
  });
});

describe("what an attempt does to its endpoint's health", () => {
  it('a success heals; 410 disables; an exhausted schedule marks failing, a replay never does', () => {
    expect(healthAfter({ status: 'succeeded' }, false)).toBe('healthy');
    expect(healthAfter({ status: 'succeeded' }, true)).toBe('healthy');
    expect(healthAfter({ status: 'failed', reason: 'endpoint_gone' }, true)).toBe('gone');
    expect(healthAfter({ status: 'failed', reason: 'exhausted' }, false)).toBe('failing');
    expect(healthAfter({ status: 'failed', reason: 'exhausted' }, true)).toBeNull();
    expect(healthAfter({ status: 'failed', reason: 'url_refused' }, false)).toBeNull();
    expect(healthAfter({ status: 'pending', nextAttemptAt: new Date() }, false)).toBeNull();
  });
});

describe('signatures during a secret rotation', () => {
  const oldSecret = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
  const newSecret = `whsec_${Buffer.alloc(32, 2).toString('base64')}`;
  const other = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
  const payload = JSON.stringify({ type: 'upload.ready' });
  const at = new Date();
  const headers = (signature: string) => ({
    'webhook-id': 'msg_1',
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  });

  it('carries one signature per live secret, space-separated: either verifies, no other does', () => {
    const signature = signatures({ id: 'msg_1', secrets: [newSecret, oldSecret] }, at, payload);
    expect(signature.split(' ')).toHaveLength(2);
    expect(new Webhook(newSecret).verify(payload, headers(signature))).toEqual({ type: 'upload.ready' });
    expect(new Webhook(oldSecret).verify(payload, headers(signature))).toEqual({ type: 'upload.ready' });
    expect(() => new Webhook(other).verify(payload, headers(signature))).toThrow();
  });

  it('after the grace only the new secret signs', () => {
    const signature = signatures({ id: 'msg_1', secrets: [newSecret] }, at, payload);
    expect(() => new Webhook(oldSecret).verify(payload, headers(signature))).toThrow();
  });
});
