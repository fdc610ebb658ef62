import { describe, expect, it } from 'vitest';
import { negotiateOffer, NoAcceptableCodecError, type OfferAnswerResult } from '../../../src/ingest/sip/sdp-offer-answer.js';
import { parseSipMessage, type SipRequest } from '../../../src/ingest/sip/sip-message.js';
import { assignChannels } from '../../../src/ingest/sip/rs-metadata.js';
import { parseSiprecInvite } from '../../../src/ingest/sip/siprec-body.js';
import { listSiprecFixtures, readSiprecFixture, sharedFixturesAvailable, sipText } from './helpers.js';

const available = sharedFixturesAvailable();

/** Wraps a vendor body into a UDP INVITE as an SRC would send it. */
function inviteWith(body: Buffer, extraHeaders: string[] = []): SipRequest {
  const text = body.toString('latin1');
  const firstDelim = text.split('\n').find((l) => l.startsWith('--'));
  const ctype = firstDelim ? `multipart/mixed;boundary="${firstDelim.slice(2).trim()}"` : 'application/sdp';
  const head = [
    'INVITE sip:srs@192.0.2.1 SIP/2.0',
    'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-fixture;rport',
    'From: <sip:src@198.51.100.7>;tag=src1',
    'To: <sip:srs@192.0.2.1>',
    'Call-ID: fixture-call@198.51.100.7',
    'CSeq: 1 INVITE',
    'Max-Forwards: 70',
    'Contact: <sip:src@198.51.100.7>;+sip.src',
    `Content-Type: ${ctype}`,
    ...extraHeaders,
    `Content-Length: ${body.length}`,
  ];
  return parseSipMessage(Buffer.concat([sipText(head), body])) as SipRequest;
}

let port = 40000;
const negotiate = (sdp: string): OfferAnswerResult => negotiateOffer(sdp, { allocatePort: () => (port += 2), localIp: '192.0.2.1' });

// What each vendor body yields end to end: SIPREC detection, codecs, channel rule (see rs-metadata.ts).
const EXPECTED: Record<string, { isSiprec: boolean; codecs: string[]; channels: Record<number, number>; source: string; caller?: string }> = {
  'acme-siprec-offer.txt': { isSiprec: true, codecs: ['PCMU', 'PCMU'], channels: { 0: 1, 1: 2 }, source: 'metadata', caller: 'sip:9000@192.168.50.102' },
  'broadworks-offer-2.txt': { isSiprec: true, codecs: ['PCMA', 'PCMA'], channels: { 0: 1, 1: 2 }, source: 'metadata', caller: 'sip:9878942259@212.188.68.145' },
  'broadworks-offer.txt': { isSiprec: true, codecs: ['PCMA'], channels: { 0: 1 }, source: 'stream-order' },
  'cisco-siprec-offer.txt': { isSiprec: true, codecs: ['PCMU', 'PCMU'], channels: { 0: 1, 1: 2 }, source: 'metadata', caller: 'sip:7301@35.162.237.204' },
  'connectel-offer.txt': { isSiprec: true, codecs: ['PCMU', 'PCMA'], channels: { 0: 1, 1: 2 }, source: 'participant-order', caller: 'sip:0771121212@52.57.92.239' },
  'connectel-offer2.txt': { isSiprec: true, codecs: ['PCMU', 'PCMA'], channels: { 0: 1, 1: 2 }, source: 'participant-order', caller: 'sip:0771121212@52.57.92.239' },
  'connectel-offer3.txt': { isSiprec: true, codecs: ['PCMU', 'PCMA'], channels: { 0: 1, 1: 2 }, source: 'participant-order', caller: 'sip:0771121212@52.57.92.239' },
  'inactive-sdp-offer.txt': { isSiprec: true, codecs: ['PCMU', 'PCMU'], channels: { 0: 1, 1: 2 }, source: 'participant-order', caller: 'sip:0733165805@192.168.40.34' },
  'procomm-siprec-offer.txt': { isSiprec: true, codecs: ['PCMA', 'PCMA'], channels: { 0: 1, 1: 2 }, source: 'metadata', caller: 'sip:016190200@87.252.209.116' },
  'sonus-siprec-offer.txt': { isSiprec: true, codecs: ['PCMU', 'PCMU'], channels: { 0: 2, 1: 1 }, source: 'metadata', caller: '2249888500@172.16.198.55' },
  'non-siprec-payload.txt': { isSiprec: false, codecs: ['PCMU'], channels: { 0: 1 }, source: 'stream-order' },
};

describe.skipIf(!available)('vendor SIPREC fixtures wrapped into INVITEs', () => {
  it('every multipart fixture file has an expectation', () => {
    const bodies = listSiprecFixtures().filter((f) => !f.startsWith('sample-'));
    expect(bodies.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s', (file, exp) => {
    const invite = inviteWith(readSiprecFixture(file));
    const body = parseSiprecInvite(invite);
    expect(body.isSiprec).toBe(exp.isSiprec);
    expect(body.sdp).toBeDefined();
    const answer = negotiate(body.sdp!);
    expect(answer.streams.map((s) => s.codec?.name)).toEqual(exp.codecs);
    const channels = assignChannels(body.metadata, answer.streams);
    expect(channels.streamChannels).toEqual(exp.channels);
    expect(channels.source).toBe(exp.source);
    expect(channels.channelMap.find((c) => c.channel === 1)?.participant.aor).toBe(exp.caller);
  });

  it('Require: siprec alone marks a plain SDP INVITE as SIPREC', () => {
    const invite = inviteWith(readSiprecFixture('non-siprec-payload.txt'), ['Require: siprec']);
    expect(parseSiprecInvite(invite).isSiprec).toBe(true);
  });

  it('broadworks: the tag-less XML part gives empty metadata with a warning, not an error', () => {
    const body = parseSiprecInvite(inviteWith(readSiprecFixture('broadworks-offer.txt')));
    expect(body.metadataError).toBeUndefined();
    expect(body.metadata?.participants).toEqual([]);
    expect(body.metadata?.warnings[0]).toContain('recording_metadata');
  });

  it('inactive offer is answered inactive and flagged as on hold', () => {
    const body = parseSiprecInvite(inviteWith(readSiprecFixture('inactive-sdp-offer.txt')));
    const answer = negotiate(body.sdp!);
    expect(answer.streams.map((s) => [s.answerDirection, s.onHold])).toEqual([['inactive', true], ['inactive', true]]);
    expect(answer.answerSdp.match(/a=inactive/g)).toHaveLength(2);
  });

  it('connectel: no c= line anywhere falls back to the o= address without claiming hold', () => {
    const body = parseSiprecInvite(inviteWith(readSiprecFixture('connectel-offer.txt')));
    const s = negotiate(body.sdp!).streams[0]!;
    expect([s.remoteAddress, s.remotePort, s.onHold, s.telephoneEventPayloadType]).toEqual(['0.0.0.0', 35011, false, 101]);
  });

  it.each(['sample-sdps.txt', 'sample-sdp2.txt', 'sample-sdp3.txt'])('%s: each SDP negotiates', (file) => {
    const sdps = readSiprecFixture(file).toString('utf8').split('__split_here__');
    for (const sdp of sdps) {
      const answer = negotiate(sdp);
      expect(answer.streams.filter((s) => !s.rejected)).toHaveLength(1);
    }
  });

  it('sample-sdp2: session c=, a=rtcp and offerer codec order are honoured', () => {
    const [first] = readSiprecFixture('sample-sdp2.txt').toString('utf8').split('__split_here__');
    const s = negotiate(first!).streams[0]!;
    expect([s.remoteAddress, s.remotePort, s.remoteRtcpPort, s.codec?.name, s.label]).toEqual(['127.0.0.1', 35003, 60552, 'PCMA', '1']);
  });

  it('sample-sdp3: a recvonly offer is answered inactive', () => {
    const [, second] = readSiprecFixture('sample-sdp3.txt').toString('utf8').split('__split_here__');
    const s = negotiate(second!).streams[0]!;
    expect([s.direction, s.answerDirection, s.ptime]).toEqual(['recvonly', 'inactive', 20]);
  });

  it('no fixture makes any parser throw', () => {
    for (const file of listSiprecFixtures()) {
      expect(() => parseSiprecInvite(inviteWith(readSiprecFixture(file)))).not.toThrow();
    }
  });
});

describe('G.729-only offer', () => {
  it('throws NoAcceptableCodecError (the caller answers 488)', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { REPO_ROOT } = await import('./helpers.js');
    const sdp = readFileSync(join(REPO_ROOT, 'test/fixtures/sip/sdp/g729-only.sdp'), 'utf8');
    let allocated = 0;
    expect(() => negotiateOffer(sdp, { allocatePort: () => ++allocated, localIp: '192.0.2.1' })).toThrow(NoAcceptableCodecError);
    expect(allocated).toBe(0);
  });
});
