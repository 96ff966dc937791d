import { MAX_RECORDS, keysOfNotification, parseIncomingKey } from '../../src/storage-events/incoming-key';

const tenant = '3f1c2b9e-7a4d-4c1e-9b2a-0d5e6f7a8b9c';
const upload = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f2a3b4c5d';

describe('storage event notifications', () => {
  it('reads the URL-encoded object keys of every record, and nothing else', () => {
    const body = {
      EventName: 's3:ObjectCreated:Put',
      Key: 'intake/ignored',
      Records: [
        { s3: { object: { key: `incoming%2F${tenant}%2F${upload}` } } },
        { s3: { object: { key: 'a+b%20c' } } },
        { s3: { object: { key: '%E0%A4%A' } } }, // malformed escape: skipped
        { s3: { object: { key: 42 } } },
        null,
        { s3: { object: { key: 'x'.repeat(2000) } } },
      ],
    };
    expect(keysOfNotification(body)).toEqual([`incoming/${tenant}/${upload}`, 'a b c']);
    for (const nonsense of [null, 'text', { Records: 'no' }, { Records: [1, 2] }, []]) {
      expect(keysOfNotification(nonsense)).toEqual([]);
    }
  });

  it('looks at no more than MAX_RECORDS records of one notification', () => {
    const record = { s3: { object: { key: `incoming%2F${tenant}%2F${upload}` } } };
    expect(keysOfNotification({ Records: Array(MAX_RECORDS + 50).fill(record) })).toHaveLength(MAX_RECORDS);
  });

  it('accepts only incoming/<uuid>/<uuid> keys', () => {
    expect(parseIncomingKey(`incoming/${tenant}/${upload}`)).toEqual({ tenantId: tenant, uploadId: upload });
    for (const key of [
      `incoming/${tenant}/${upload}.info`,
      `incoming/${tenant}/${upload}/part`,
      `uploads/${tenant}/${upload}/original`,
      `incoming/${tenant}`,
      `incoming/../${tenant}/${upload}`,
      `incoming/${tenant.toUpperCase()}/${upload}`,
      ` incoming/${tenant}/${upload}`,
    ]) {
      expect({ key, parsed: parseIncomingKey(key) }).toEqual({ key, parsed: null });
    }
  });
});
