import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import type { TestServer } from '../helpers/test-server.js';
import { buildMetadata, buildOffer, SiprecClient } from '../helpers/siprec-client.js';
import { inSlots, packetize, type PlannedPacket } from '../helpers/rtp-sender.js';
import { RtpSource, type Datagram } from '../helpers/rtp-source.js';
import { channelsOf, noise, readPcmWav } from '../helpers/audio.js';
import { download, waitForRecording } from '../helpers/recordings.js';
import { closeServer, findExact, PACKET, startSiprecSuite, recordingOfCall, storedState, twoParties, uniqueCallId } from '../helpers/siprec-harness.js';
import { buildRtp } from '../../src/ingest/rtp/rtp-packet.js';
import { mulawDecode, mulawEncode } from '../../src/media/g711.js';
import { getHeader } from '../../src/ingest/sip/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a malformed request may get: a 4xx (a specific one when given), or nothing at all. */
type Expect = { status: number } | '4xx-or-drop' | 'drop';

/** Replaces one header line of a request built by SiprecClient.buildInvite (latin1 round trip keeps bytes). */
function withHeader(bytes: Buffer, name: string, replacement: string | null): Buffer {
  const text = bytes.toString('latin1');
  const re = new RegExp(`^${name}:[^\\r]*\\r\\n`, 'mi');
  if (!re.test(text)) throw new Error(`no ${name} header`);
  return Buffer.from(text.replace(re, replacement === null ? '' : `${replacement}\r\n`), 'latin1');
}

/** Inserts header lines right before Content-Length (after every header a 400 needs). */
function addHeaders(bytes: Buffer, lines: string[]): Buffer {
  const text = bytes.toString('latin1');
  return Buffer.from(text.replace(/^Content-Length:/m, `${lines.join('\r\n')}\r\nContent-Length:`), 'latin1');
}

/** A SIPREC INVITE whose body is `body` under `contentType`. */
function inviteWithBody(client: SiprecClient, body: string, contentType: string): Buffer {
  return client.buildInvite('', undefined, { body: Buffer.from(body), contentType }).bytes;
}

/** A multipart/mixed body holding the SDP offer and `metadata` as its parts. */
function multipart(sdp: string, metadata: string, boundary = 'b0undary'): string {
  return `--${boundary}\r\nContent-Type: application/sdp\r\n\r\n${sdp}\r\n--${boundary}\r\nContent-Type: application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n${metadata}\r\n--${boundary}--\r\n`;
}

/** rs-metadata carrying a "billion laughs" entity expansion in a participant's name. */
function entityBomb(callId: string): string {
  const entities = ['<!ENTITY l0 "lol">'];
  for (let i = 1; i <= 9; i++) entities.push(`<!ENTITY l${i} "${`&l${i - 1};`.repeat(10)}">`);
  return `<?xml version="1.0"?><!DOCTYPE recording [${entities.join('')}]><recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>complete</datamode><session session_id="s1"><sipSessionID>${callId}</sipSessionID></session><participant participant_id="p1"><nameID aor="sip:a@x"><name>&l9;</name></nameID></participant></recording>`;
}

/** Valid metadata padded past the 256 KB limit. */
function oversizeMetadata(callId: string): string {
  return twoParties(callId).replace('</recording>', `<extensiondata>${'x'.repeat(270 * 1024)}</extensiondata></recording>`);
}

/**
 * Sends a request and returns the responses (any status) it got within `windowMs`. Unacknowledged
 * non-2xx answers are retransmitted over UDP (Timer G), so each response counts once, and
 * retransmissions of an earlier probe's answer (`seen`) are not this probe's.
 */
async function probe(client: SiprecClient, bytes: Buffer, seen: Set<string>, windowMs = 400): Promise<number[]> {
  const before = { final: client.finalResponses.length, provisional: client.provisionalResponses.length };
  client.sendRaw(bytes);
  await sleep(windowMs);
  const statuses: number[] = [];
  for (const r of [...client.provisionalResponses.slice(before.provisional), ...client.finalResponses.slice(before.final)]) {
    const key = `${getHeader(r, 'call-id')}|${getHeader(r, 'cseq')}|${r.status}`;
    if (seen.has(key)) continue;
    seen.add(key);
    statuses.push(r.status);
  }
  return statuses;
}

function check(name: string, got: number[], expected: Expect): void {
  const finals = got.filter((s) => s >= 200);
  if (expected === 'drop') expect(got, `${name}: dropped`).toEqual([]);
  else if (expected === '4xx-or-drop') {
    expect(finals.length, `${name}: at most one final response (${got})`).toBeLessThanOrEqual(1);
    for (const s of finals) expect(s, `${name}: a 4xx when answered`).toBeGreaterThanOrEqual(400);
    for (const s of finals) expect(s, `${name}: a 4xx when answered`).toBeLessThan(500);
  } else expect(finals, name).toEqual([expected.status]);
}

/** Opens a TCP connection, writes `bytes`, and reports what came back and whether the server closed it. */
async function tcpProbe(port: number, bytes: Buffer, windowMs = 1500): Promise<{ text: string; closed: boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let text = '';
  let closed = false;
  socket.on('data', (d) => (text += d.toString('latin1')));
  socket.on('error', () => undefined);
  const done = new Promise<void>((resolve) => socket.once('close', () => ((closed = true), resolve())));
  socket.write(bytes);
  await Promise.race([done, sleep(windowMs)]);
  socket.destroy();
  return { text, closed };
}

describe.each(backendNames())('SIPREC robustness on %s', (backend) => {
  let server: TestServer;
  let sip: { host: string; udp: number; tcp: number };
  let user: string;

  beforeAll(async () => {
    ({ server, sip, user } = await startSiprecSuite(backend, 'robust'));
  });
  afterAll(() => closeServer(server));

  /** A normal call over `transport`: 200, 0.6 s of audio on both streams, BYE, recorded sample for sample. */
  async function normalCall(transport: 'udp' | 'tcp'): Promise<void> {
    const client = new SiprecClient(transport, { host: sip.host, port: transport === 'udp' ? sip.udp : sip.tcp }, user);
    await client.connect();
    const callId = uniqueCallId(`normal-${transport}`);
    const invite = await client.invite(buildOffer([{ label: '1' }, { label: '2' }]), twoParties(callId));
    expect(invite.status, 'a normal INVITE after the malformed ones').toBe(200);
    const audio = [noise(30 * PACKET, 11), noise(30 * PACKET, 12)];
    const media = await RtpSource.open();
    await media.sendPaced(invite.rtpPorts.map((port, i) => ({ port, slots: inSlots(packetize(mulawEncode(audio[i]), { payloadType: 0, ssrc: 40 + i, bytesPerPacket: PACKET, ticksPerPacket: PACKET })) })));
    await media.close();
    expect(await client.bye()).toBe(200);
    client.close();
    const rec = await waitForRecording(server, (await recordingOfCall(server, callId)).id, 30_000);
    expect(rec.status).toBe('completed');
    const channels = channelsOf(readPcmWav((await download(rec.media_urls.wav)).body).samples, 2);
    for (let c = 0; c < 2; c++) {
      const sent = mulawDecode(mulawEncode(audio[c]));
      const at = findExact(channels[c], sent.subarray(0, PACKET));
      expect(at, `normal call channel ${c + 1}`).toBeGreaterThanOrEqual(0);
      expect(Array.from(channels[c].subarray(at, at + sent.length))).toEqual(Array.from(sent));
    }
  }

  it('answers malformed SIP datagrams with a 4xx or drops them, stores nothing for them, then records a normal call', async () => {
    const client = new SiprecClient('udp', { host: sip.host, port: sip.udp }, user);
    await client.connect();
    const offer = buildOffer([{ label: '1' }, { label: '2' }]);
    const good = () => client.buildInvite(offer, twoParties(uniqueCallId('bad'))).bytes;
    const before = await storedState(server);

    const cases: Array<[string, Buffer, Expect]> = [
      ['random bytes', randomBytes(700), 'drop'],
      ['text that is not SIP', Buffer.from('HELLO WORLD\r\nthis is not a request\r\n\r\n'), '4xx-or-drop'],
      ['a bare request line', Buffer.from('INVITE sip:x@127.0.0.1 SIP/2.0\r\n\r\n'), '4xx-or-drop'],
      ['a response sent to the server', Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n'), 'drop'],
      ['an INVITE cut inside its headers', good().subarray(0, 180), '4xx-or-drop'],
      ['an INVITE cut inside its body', good().subarray(0, good().length - 200), { status: 400 }],
      ['an INVITE without Call-ID', withHeader(good(), 'Call-ID', null), '4xx-or-drop'],
      ['a 20 KB header line', addHeaders(good(), [`X-Huge: ${'h'.repeat(20 * 1024)}`]), '4xx-or-drop'],
      ['300 headers', addHeaders(good(), Array.from({ length: 300 }, (_, i) => `X-Many-${i}: ${i}`)), '4xx-or-drop'],
      ['a header folded over 40 lines into 20 KB', addHeaders(good(), [`X-Folded: ${Array.from({ length: 40 }, () => 'f'.repeat(500)).join('\r\n ')}`]), '4xx-or-drop'],
      ['Content-Length: abc', withHeader(good(), 'Content-Length', 'Content-Length: abc'), { status: 400 }],
      ['Content-Length: -1', withHeader(good(), 'Content-Length', 'Content-Length: -1'), { status: 400 }],
      ['Content-Length past the datagram', withHeader(good(), 'Content-Length', 'Content-Length: 99999'), { status: 400 }],
      ['two different Content-Lengths', addHeaders(good(), ['Content-Length: 3']), { status: 400 }],
      // Bodies the transport accepts but that are no SIPREC offer: refused, never recorded.
      ['multipart whose boundary never occurs and no SDP', inviteWithBody(client, 'just some text\r\nwithout any part\r\n', 'multipart/mixed;boundary=nowhere'), '4xx-or-drop'],
      ['multipart with a part missing its header end', inviteWithBody(client, '--b0\r\nContent-Type: application/sdp\r\nv=0\r\no=x\r\n--b0--\r\n', 'multipart/mixed;boundary=b0'), '4xx-or-drop'],
      ['multipart with only a close delimiter', inviteWithBody(client, '--b0--\r\n', 'multipart/mixed;boundary=b0'), '4xx-or-drop'],
      ['multipart whose SDP part is garbage', inviteWithBody(client, multipart('v=0\r\nthis is not SDP\r\nm=banana\r\n', twoParties(uniqueCallId('garbage'))), 'multipart/mixed;boundary=b0undary'), '4xx-or-drop'],
      ['multipart/mixed without a boundary parameter', inviteWithBody(client, multipart(offer, twoParties(uniqueCallId('nob'))).replace(/b0undary/g, ''), 'multipart/mixed'), '4xx-or-drop'],
      ['rs-metadata with a DOCTYPE/ENTITY bomb', inviteWithBody(client, multipart(offer, entityBomb(uniqueCallId('bomb'))), 'multipart/mixed;boundary=b0undary'), { status: 400 }],
    ];
    const seen = new Set<string>();
    for (const [name, bytes, expected] of cases) {
      expect(bytes.length, `${name} fits a datagram`).toBeLessThan(65_000);
      const started = performance.now();
      check(name, await probe(client, bytes, seen), expected);
      expect(performance.now() - started, `${name}: handled promptly`).toBeLessThan(2000);
    }
    // Garbage on the SIP port did not stop the server answering requests.
    expect((await client.options()).status).toBe(200);
    const after = await storedState(server);
    expect(after.calls, 'no call row for any malformed request').toBe(before.calls);
    expect(after.recordings, 'no recording for any malformed request').toBe(before.recordings);
    expect(after.spool).toEqual(before.spool);
    expect(server.app.ingest!.siprec.sessionCount).toBe(0);
    client.close();

    await normalCall('udp');
  });

  it('refuses over TCP metadata past 256 KB (400) and closes connections that cannot be framed, then records a normal call over TCP', async () => {
    const before = await storedState(server);
    const client = new SiprecClient('tcp', { host: sip.host, port: sip.tcp }, user);
    await client.connect();
    const offer = buildOffer([{ label: '1' }, { label: '2' }]);
    // One message of ~280 KB: within the SIP size limits, over the metadata limit.
    const big = client.buildInvite(offer, oversizeMetadata(uniqueCallId('big')));
    expect(big.bytes.length).toBeGreaterThan(256 * 1024);
    const response = client.waitForResponse(big.cseq, 'INVITE');
    client.sendRaw(big.bytes);
    const refused = await response;
    expect(refused.status).toBe(400);
    client.acknowledge(refused, big);
    // The connection stays usable for the next request.
    expect((await client.options()).status).toBe(200);
    client.close();

    // A body over the SIP limit (512 KB) and a header section that never ends: unframeable, the connection is closed.
    const huge = new SiprecClient('tcp', { host: sip.host, port: sip.tcp }, user).buildInvite(offer, undefined, { body: Buffer.alloc(600 * 1024, 0x61), contentType: 'application/sdp' });
    const hugeResult = await tcpProbe(sip.tcp, huge.bytes);
    expect(hugeResult.text).not.toMatch(/^SIP\/2\.0 2/m);
    expect(hugeResult.closed).toBe(true);
    const endless = await tcpProbe(sip.tcp, Buffer.from(`INVITE sip:${user}@127.0.0.1 SIP/2.0\r\nX-Endless: ${'e'.repeat(100 * 1024)}`));
    expect(endless.closed).toBe(true);
    expect(endless.text).toBe('');
    const junk = await tcpProbe(sip.tcp, randomBytes(80 * 1024));
    expect(junk.text).not.toMatch(/^SIP\/2\.0 2/m);

    const after = await storedState(server);
    expect(after.calls).toBe(before.calls);
    expect(after.recordings).toBe(before.recordings);
    expect(after.spool).toEqual(before.spool);

    await normalCall('tcp');
  });

  it('drops malformed RTP (short, wrong version, bad CSRC/extension/padding lengths, RTCP, other senders) without disturbing either stream', async () => {
    const client = new SiprecClient('udp', { host: sip.host, port: sip.udp }, user);
    await client.connect();
    const callId = uniqueCallId('rtp');
    const invite = await client.invite(buildOffer([{ label: '1' }, { label: '2' }]), buildMetadata([{ aor: 'sip:a@x', sends: ['1'] }, { aor: 'sip:b@x', sends: ['2'] }], { labels: ['1', '2'], sipSessionId: callId }));
    expect(invite.status).toBe(200);

    const packets = 75;
    const audio = [noise(packets * PACKET, 31), noise(packets * PACKET, 32)];
    const planned = audio.map((a, i) => packetize(mulawEncode(a), { payloadType: 0, ssrc: 0x5000 + i, bytesPerPacket: PACKET, ticksPerPacket: PACKET }));
    /** Garbage dressed as the next good packet (same SSRC, sequence and timestamp): were it accepted, the good one would be dropped as a duplicate. */
    const impostors = (p: PlannedPacket): Buffer[] => {
      const garbage = Buffer.alloc(PACKET, 0x00); // µ-law 0x00 is full scale: audible if it slipped through
      const valid = buildRtp({ ...p, payload: garbage });
      const version = (v: number) => Buffer.concat([Buffer.from([(v << 6) | (valid[0] & 0x3f)]), valid.subarray(1)]);
      const withByte0 = (b0: number, tail?: Buffer) => Buffer.concat([Buffer.from([b0]), valid.subarray(1, 12), tail ?? garbage]);
      return [
        Buffer.alloc(0),
        valid.subarray(0, 3),
        valid.subarray(0, 11),
        version(0),
        version(1),
        version(3),
        withByte0(0x8f, garbage.subarray(0, 40)), // 15 CSRCs announced, 10 present
        withByte0(0x90, Buffer.concat([Buffer.from([0xbe, 0xde, 0xff, 0xff]), garbage])), // extension of 65535 words
        withByte0(0xa0, Buffer.concat([garbage, Buffer.from([0])])), // padding count 0
        withByte0(0xa0, Buffer.concat([garbage.subarray(0, 10), Buffer.from([250])])), // padding longer than the packet
        Buffer.from([0x80, 200, 0, 6, ...randomBytes(24)]), // RTCP sender report on the RTP port
      ];
    };
    const slotsA: Datagram[][] = planned[0].map((p) => [...impostors(p), p]);
    const slotsB: Datagram[][] = inSlots(planned[1]);
    const media = await RtpSource.open();
    const intruder = await RtpSource.open(); // another sender: valid RTP, not the latched source
    const intruding = (async () => {
      await sleep(200);
      for (let i = 10; i < packets; i++) {
        for (const [port, p] of [[invite.rtpPorts[0], planned[0][i]], [invite.rtpPorts[1], planned[1][i]]] as const) intruder.send(buildRtp({ ...p, payload: Buffer.alloc(PACKET, 0x00) }), port);
        await sleep(20);
      }
    })();
    await media.sendPaced([
      { port: invite.rtpPorts[0], slots: slotsA },
      { port: invite.rtpPorts[1], slots: slotsB },
    ]);
    await intruding;
    await media.close();
    await intruder.close();
    expect(await client.bye()).toBe(200);
    client.close();

    const rec = await waitForRecording(server, (await recordingOfCall(server, callId)).id, 30_000);
    expect(rec).toMatchObject({ status: 'completed', channels: 2 });
    const channels = channelsOf(readPcmWav((await download(rec.media_urls.wav)).body).samples, 2);
    for (let c = 0; c < 2; c++) {
      const sent = mulawDecode(mulawEncode(audio[c]));
      const at = findExact(channels[c], sent.subarray(0, PACKET));
      expect(at, `channel ${c + 1} starts with the first good packet`).toBeGreaterThanOrEqual(0);
      expect(Array.from(channels[c].subarray(at, at + sent.length)), `channel ${c + 1} holds exactly the good stream`).toEqual(Array.from(sent));
    }
  });
});
