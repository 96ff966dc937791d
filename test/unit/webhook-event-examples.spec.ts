import { WEBHOOK_EVENT_EXAMPLES } from '../../src/webhooks/event-examples';
import { WEBHOOK_EVENT_TYPES } from '../../workflows/contract';
import { UPLOAD_STATUSES } from '../../src/database/entities/upload.entity';

describe('webhook event examples (for the docs and the API description)', () => {
  it('has one per event type, of that type, whose upload status matches it', () => {
    expect(Object.keys(WEBHOOK_EVENT_EXAMPLES).sort()).toEqual([...WEBHOOK_EVENT_TYPES].sort());
    for (const [type, body] of Object.entries(WEBHOOK_EVENT_EXAMPLES)) {
      expect(body.type).toBe(type);
      expect(UPLOAD_STATUSES).toContain(body.data.status);
      expect(body.data.status).toBe(type.replace('upload.', ''));
      expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
    }
  });

  it('only a ready upload lists outputs; only rejected, failed and expired ones carry an error', () => {
    for (const body of Object.values(WEBHOOK_EVENT_EXAMPLES)) {
      expect(body.data.outputs.length > 0).toBe(body.type === 'upload.ready');
      expect(body.data.error !== null).toBe(['upload.rejected', 'upload.failed', 'upload.expired'].includes(body.type));
    }
  });
});
