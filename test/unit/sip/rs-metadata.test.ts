import { describe, expect, it } from 'vitest';
import { assignChannels, decodeXmlText, MetadataError, mergePartial, parseRecordingMetadata } from '../../../src/ingest/sip/rs-metadata.js';

const RFC = `<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns='urn:ietf:params:xml:ns:recording:1'>
  <datamode>complete</datamode>
  <group group_id="7+OTCyoxTmqmqyA/1weDAg=="><associate-time>2010-12-16T23:41:07Z</associate-time></group>
  <session session_id="hVpd7YQgRW2nD22h7q60JQ==">
    <sipSessionID>ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2</sipSessionID>
    <group-ref>7+OTCyoxTmqmqyA/1weDAg==</group-ref>
    <start-time>2010-12-16T23:41:07Z</start-time>
  </session>
  <participant participant_id="srfBElmCRp2QB23b7Mpk0w==">
    <nameID aor="sip:bob@biloxi.com"><name xml:lang="it">Bob &amp; Co</name></nameID>
  </participant>
  <participant participant_id="zSfPoSvdSDCmU3A3TRDxAw==">
    <nameID aor="sip:alice@atlanta.com"><name>Alice</name></nameID>
  </participant>
  <stream stream_id="UAAMm5GRQKSCMVvLyl4rFw==" session_id="hVpd7YQgRW2nD22h7q60JQ=="><label>96</label></stream>
  <stream stream_id="i1Pz3to5hGk8fuXl+PbwCw==" session_id="hVpd7YQgRW2nD22h7q60JQ=="><label>97</label></stream>
  <participantstreamassoc participant_id="srfBElmCRp2QB23b7Mpk0w==">
    <send>i1Pz3to5hGk8fuXl+PbwCw==</send><recv>UAAMm5GRQKSCMVvLyl4rFw==</recv>
  </participantstreamassoc>
  <participantstreamassoc participant_id="zSfPoSvdSDCmU3A3TRDxAw==">
    <send>UAAMm5GRQKSCMVvLyl4rFw==</send><recv>i1Pz3to5hGk8fuXl+PbwCw==</recv>
  </participantstreamassoc>
</recording>`;

const streams = (...labels: Array<string | undefined>) => labels.map((label, index) => ({ index, rejected: false, ...(label !== undefined ? { label } : {}) }));

describe('parseRecordingMetadata', () => {
  it('reads an RFC 7865 document (participantstreamassoc form)', () => {
    const md = parseRecordingMetadata(RFC);
    expect(md.dataMode).toBe('complete');
    expect(md.groupId).toBe('7+OTCyoxTmqmqyA/1weDAg==');
    expect(md.sessionIds).toEqual(['hVpd7YQgRW2nD22h7q60JQ==']);
    expect(md.sipSessionIds).toEqual(['ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2']);
    expect(md.startTime).toBe('2010-12-16T23:41:07Z');
    expect(md.participants.map((p) => [p.aor, p.name, p.send, p.recv])).toEqual([
      ['sip:bob@biloxi.com', 'Bob & Co', ['i1Pz3to5hGk8fuXl+PbwCw=='], ['UAAMm5GRQKSCMVvLyl4rFw==']],
      ['sip:alice@atlanta.com', 'Alice', ['UAAMm5GRQKSCMVvLyl4rFw=='], ['i1Pz3to5hGk8fuXl+PbwCw==']],
    ]);
    expect(md.streams.map((s) => s.label)).toEqual(['96', '97']);
  });

  it('reads the draft form: <send>/<recv> in <participant>, <aor> and <name> elements, id= attributes, any prefix', () => {
    const md = parseRecordingMetadata(`<x:recording xmlns:x="urn:ietf:params:xml:ns:recording">
      <x:dataMode>partial</x:dataMode>
      <x:participant id="p1"><x:aor>sip:a@example.com</x:aor><x:name>A</x:name><x:send>s1</x:send><x:recv>s2</x:recv></x:participant>
      <x:stream id="s1" session="S"><x:label>L1</x:label></x:stream></x:recording>`);
    expect(md.dataMode).toBe('partial');
    expect(md.participants[0]).toMatchObject({ id: 'p1', aor: 'sip:a@example.com', name: 'A', send: ['s1'], recv: ['s2'] });
    expect(md.streams[0]).toEqual({ id: 's1', label: 'L1', sessionId: 'S' });
  });

  it('refuses DOCTYPE and ENTITY declarations without expanding anything', () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><recording><datamode>&b;</datamode></recording>';
    expect(() => parseRecordingMetadata(bomb)).toThrow(MetadataError);
    try {
      parseRecordingMetadata('<!ENTITY x SYSTEM "file:///etc/passwd"><recording/>');
    } catch (err) {
      expect((err as MetadataError).code).toBe('DTD_FORBIDDEN');
    }
    // A reference to an undeclared entity stays literal text.
    expect(parseRecordingMetadata('<recording><participant participant_id="p"><name>&x;</name></participant></recording>').participants[0]!.name).toBe('&x;');
  });

  it('bounds the input size', () => {
    const big = `<recording>${'<session session_id="s"/>'.repeat(12000)}</recording>`;
    expect(() => parseRecordingMetadata(big)).toThrow(/exceeds/);
  });

  it('turns a non-<recording> root into empty metadata with a warning', () => {
    const md = parseRecordingMetadata('<recording_metadata xmlns="urn:ietf:params:xml:ns:siprec">completeSRC</recording_metadata>');
    expect(md.participants).toEqual([]);
    expect(md.warnings).toHaveLength(1);
  });

  it('throws nothing but MetadataError on garbage', () => {
    let seed = 7;
    const chars = '<>/="\' abc&;!?-[]recording participant';
    for (let i = 0; i < 1000; i++) {
      let s = '';
      for (let k = 0; k < (i % 120) + 1; k++) s += chars[(seed = (seed * 16807) % 2147483647) % chars.length];
      try {
        parseRecordingMetadata(s);
      } catch (err) {
        expect(err).toBeInstanceOf(MetadataError);
      }
    }
  });

  it('decodes predefined and numeric entities only', () => {
    expect(decodeXmlText('&lt;a&gt; &amp;amp; &#65;&#x42; &unknown;')).toBe('<a> &amp; AB &unknown;');
  });
});

describe('mergePartial', () => {
  it('updates by id, appends new elements, unions session ids', () => {
    const base = parseRecordingMetadata(RFC);
    const partial = parseRecordingMetadata(`<recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>partial</datamode>
      <session session_id="second"/>
      <participant participant_id="new"><nameID aor="sip:carol@example.com"/></participant>
      <stream stream_id="UAAMm5GRQKSCMVvLyl4rFw==" session_id="hVpd7YQgRW2nD22h7q60JQ=="><label>98</label></stream>
      <participantstreamassoc participant_id="new"><send>s3</send></participantstreamassoc></recording>`);
    const merged = mergePartial(base, partial);
    expect(merged.dataMode).toBe('complete');
    expect(merged.sessionIds).toEqual(['hVpd7YQgRW2nD22h7q60JQ==', 'second']);
    expect(merged.participants.map((p) => p.aor)).toEqual(['sip:bob@biloxi.com', 'sip:alice@atlanta.com', 'sip:carol@example.com']);
    expect(merged.participants[2]!.send).toEqual(['s3']);
    expect(merged.streams.find((s) => s.id === 'UAAMm5GRQKSCMVvLyl4rFw==')!.label).toBe('98');
    expect(base.streams[0]!.label).toBe('96'); // the previous document is not mutated
    const full = { ...partial, dataMode: 'complete' as const };
    expect(mergePartial(base, full)).toBe(full); // a complete document replaces everything
  });
});

describe('assignChannels', () => {
  const md = parseRecordingMetadata(RFC);

  it('puts the first participant (caller) on channel 1 via its send association, whatever the m= order', () => {
    const a = assignChannels(md, streams('96', '97'));
    expect(a.source).toBe('metadata');
    expect(a.streamChannels).toEqual({ 0: 2, 1: 1 });
    expect(a.channelMap).toEqual([
      { channel: 1, participant: { id: 'srfBElmCRp2QB23b7Mpk0w==', aor: 'sip:bob@biloxi.com', name: 'Bob & Co' } },
      { channel: 2, participant: { id: 'zSfPoSvdSDCmU3A3TRDxAw==', aor: 'sip:alice@atlanta.com', name: 'Alice' } },
    ]);
  });

  it('lets a single vendor callingParty flag override document order', () => {
    const flagged = { ...md, participants: md.participants.map((p, i) => ({ ...p, callingParty: i === 1 })) };
    expect(assignChannels(flagged, streams('96', '97')).streamChannels).toEqual({ 0: 1, 1: 2 });
  });

  it('gives unmatched streams the free channel and skips rejected ones', () => {
    const s = [{ index: 0, rejected: true, label: '97' }, { index: 1, rejected: false, label: '96' }, { index: 2, rejected: false }];
    expect(assignChannels(md, s).streamChannels).toEqual({ 1: 2, 2: 1 });
  });

  it('falls back to m= order without metadata or without usable send associations', () => {
    expect(assignChannels(undefined, streams('a', 'b', 'c'))).toEqual({
      streamChannels: { 0: 1, 1: 2, 2: 2 },
      channelMap: [{ channel: 1, participant: {} }, { channel: 2, participant: {} }],
      source: 'stream-order',
    });
    const noAssoc = { ...md, participants: md.participants.map((p) => ({ ...p, send: [], recv: [] })) };
    const a = assignChannels(noAssoc, streams('96', '97'));
    expect([a.source, a.streamChannels, a.channelMap[0]!.participant.aor]).toEqual(['participant-order', { 0: 1, 1: 2 }, 'sip:bob@biloxi.com']);
  });
});
