import { masterPlaylist, mediaPlaylist, variantBandwidth } from '../../src/media/hls-playlist';

const variants = [
  { name: '360p', bandwidth: 1_100_000, averageBandwidth: 950_000, width: 640, height: 360, codecs: 'avc1.64001e,mp4a.40.2' },
  { name: '720p', bandwidth: 3_400_000, width: 1280, height: 720, codecs: 'avc1.64001f,mp4a.40.2' },
];

describe('masterPlaylist', () => {
  it('lists every variant with its attributes and the URI the caller gives', () => {
    expect(masterPlaylist(variants, (v) => `https://cdn.example/${v.name}.m3u8?sig=a%2Fb&x=1`)).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-STREAM-INF:BANDWIDTH=1100000,AVERAGE-BANDWIDTH=950000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"',
        'https://cdn.example/360p.m3u8?sig=a%2Fb&x=1',
        '#EXT-X-STREAM-INF:BANDWIDTH=3400000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"',
        'https://cdn.example/720p.m3u8?sig=a%2Fb&x=1',
        '',
      ].join('\n'),
    );
  });

  it('refuses URIs and attributes that would add lines or break out of quotes', () => {
    for (const uri of ['a\nb', 'a\r\n#EXT-X-ENDLIST', 'a\rb', '', '#EXT-X-KEY:x', 'a\u0000b']) {
      expect(() => masterPlaylist(variants, () => uri)).toThrow(/Not a playlist URI/);
    }
    expect(() => masterPlaylist([{ ...variants[0]!, codecs: 'avc1",x="y' }], () => 'u')).toThrow(/CODECS/);
    expect(() => masterPlaylist([{ ...variants[0]!, codecs: 'avc1\nmp4a' }], () => 'u')).toThrow(/CODECS/);
    expect(() => masterPlaylist([{ ...variants[0]!, bandwidth: 1.5 }], () => 'u')).toThrow(/BANDWIDTH/);
    expect(() => masterPlaylist([], () => 'u')).toThrow();
  });
});

describe('mediaPlaylist', () => {
  it('is a VOD playlist: every piece in order, target the ceiling of the longest, then the end', () => {
    const pieces = [{ durationSeconds: 10.0263 }, { durationSeconds: 10.01 }, { durationSeconds: 15.9637 }];
    expect(mediaPlaylist(pieces, (_, i) => `piece-${i}.ts?sig=${i}`)).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXT-X-TARGETDURATION:16',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXTINF:10.026,',
        'piece-0.ts?sig=0',
        '#EXTINF:10.010,',
        'piece-1.ts?sig=1',
        '#EXTINF:15.964,',
        'piece-2.ts?sig=2',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
  });

  it('takes the target from the printed durations, so no EXTINF ever exceeds it', () => {
    expect(mediaPlaylist([{ durationSeconds: 10.0000001 }], () => 'p')).toContain('#EXT-X-TARGETDURATION:10\n');
    expect(mediaPlaylist([{ durationSeconds: 10.0006 }], () => 'p')).toContain('#EXT-X-TARGETDURATION:11\n');
    expect(mediaPlaylist([{ durationSeconds: 0.2 }], () => 'p')).toContain('#EXT-X-TARGETDURATION:1\n');
  });

  it('refuses injected lines and impossible durations', () => {
    expect(() => mediaPlaylist([{ durationSeconds: 1 }], () => 'p.ts\n#EXT-X-ENDLIST')).toThrow(/Not a playlist URI/);
    expect(() => mediaPlaylist([{ durationSeconds: 0 }], () => 'p')).toThrow();
    expect(() => mediaPlaylist([{ durationSeconds: Number.NaN }], () => 'p')).toThrow();
    expect(() => mediaPlaylist([], () => 'p')).toThrow();
  });
});

describe('variantBandwidth', () => {
  it('is the peak piece for BANDWIDTH and the whole for AVERAGE-BANDWIDTH', () => {
    expect(variantBandwidth([
      { bytes: 1_000_000, durationSeconds: 10 },
      { bytes: 3_000_000, durationSeconds: 10 },
    ])).toEqual({ bandwidth: 2_400_000, averageBandwidth: 1_600_000 });
  });
});
