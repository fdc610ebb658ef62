import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { buildMetadata, buildOffer, SiprecClient } from '../helpers/siprec-client.js';
import { inSlots, packetize, sendPaced } from '../helpers/rtp-sender.js';
import { channelsOf, noise, readPcmWav } from '../helpers/audio.js';
import { download, waitForRecording } from '../helpers/recordings.js';
import { mulawDecode, mulawEncode } from '../../src/media/g711.js';

const PACKET = 160;
const json = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where `needle` first occurs exactly in `haystack`, or -1. */
function findExact(haystack: Int16Array, needle: Int16Array, from = 0): number {
  outer: for (let i = from; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Splits a recorded channel into runs that each copy the sent signal exactly from some
 * offset, and runs of silence. Every recorded sample must belong to one or the other.
 */
function explain(recorded: Int16Array, sent: Int16Array): Array<{ kind: 'audio'; at: number; sentAt: number; length: number } | { kind: 'silence'; at: number; length: number }> {
  const runs: ReturnType<typeof explain> = [];
  let i = 0;
  while (i < recorded.length) {
    if (recorded[i] === 0) {
      let j = i;
      while (j < recorded.length && recorded[j] === 0) j++;
      runs.push({ kind: 'silence', at: i, length: j - i });
      i = j;
      continue;
    }
    const probe = recorded.subarray(i, Math.min(i + 32, recorded.length));
    const sentAt = findExact(sent, probe);
    if (sentAt < 0) throw new Error(`recorded samples at ${i} are neither silence nor sent audio`);
    let n = 0;
    while (i + n < recorded.length && sentAt + n < sent.length && recorded[i + n] === sent[sentAt + n]) n++;
    runs.push({ kind: 'audio', at: i, sentAt, length: n });
    i += n;
  }
  return runs;
}

async function recordingsOf(server: TestServer, callId: string): Promise<any[]> {
  return (await (await server.api(`/recordings?call_id=${encodeURIComponent(callId)}`)).json()).recordings;
}

describe.each(backendNames())('calls, on-demand recording, control and rules on %s', (backend) => {
  let server: TestServer;
  let client: SiprecClient;
  let user: string;
  beforeAll(async () => {
    server = await startTestServer(backend, { env: { RTP_TIMEOUT: '5' } });
    user = `ctl${backend.length}`;
    expect((await server.api('/sip-trunks', json({ request_uri_user: user, allowed_sources: ['127.0.0.1'] }))).status).toBe(201);
    // This account records nothing unless asked.
    const settings = await server.api('/recording-settings', { ...json({ default: 'none', channels: 2, transcribe: false }), method: 'PUT' });
    expect(await settings.json()).toEqual({ default: 'none', channels: 2, transcribe: false });
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  async function placeCall(callId: string, seconds: number, seed: number) {
    client = new SiprecClient('udp', { host: '127.0.0.1', port: server.app.ingest!.sipPorts.udp! }, user);
    await client.connect();
    const metadata = buildMetadata([{ aor: 'sip:+15551230001@example.com', sends: ['1'] }, { aor: 'sip:+15559870002@example.com', sends: ['2'] }], { labels: ['1', '2'], sipSessionId: callId });
    const invite = await client.invite(buildOffer([{ label: '1' }, { label: '2' }]), metadata);
    expect(invite.status).toBe(200);
    const packets = Math.round((seconds * 1000) / 20);
    const caller = mulawEncode(noise(packets * PACKET, seed));
    const callee = mulawEncode(noise(packets * PACKET, seed + 1));
    const sending = sendPaced([
      { port: invite.rtpPorts[0], slots: inSlots(packetize(caller, { payloadType: 0, ssrc: seed, bytesPerPacket: PACKET, ticksPerPacket: PACKET })) },
      { port: invite.rtpPorts[1], slots: inSlots(packetize(callee, { payloadType: 0, ssrc: seed + 1, bytesPerPacket: PACKET, ticksPerPacket: PACKET })) },
    ]);
    return { sending, sent1: mulawDecode(caller), sent2: mulawDecode(callee) };
  }

  it('does not record a call under a record-nothing account until asked, then pauses with silence and resumes', async () => {
    const callId = `ondemand-${backend}-${Date.now()}`;
    const { sending, sent1, sent2 } = await placeCall(callId, 4, 100);
    await sleep(300);
    const live = await (await server.api(`/calls/${callId}`)).json();
    expect(live).toMatchObject({ call_id: callId, status: 'in-progress', ingest: 'siprec', from: 'sip:+15551230001@example.com' });
    expect(await recordingsOf(server, callId)).toEqual([]);
    expect((await (await server.api('/calls?status=in-progress')).json()).calls.some((c: any) => c.call_id === callId)).toBe(true);

    await sleep(500);
    const started = await server.api(`/calls/${callId}/recordings`, json({ channels: 2, track: 'both' }));
    expect(started.status).toBe(201);
    const rec = await started.json();
    expect(rec).toMatchObject({ status: 'in-progress', source: 'on-demand', paused: false, call_id: callId });
    await sleep(1000);
    const paused = await (await server.api(`/recordings/${rec.id}`, json({ status: 'paused' }))).json();
    expect(paused).toMatchObject({ status: 'in-progress', paused: true });
    await sleep(800);
    const resumed = await (await server.api(`/recordings/${rec.id}`, json({ status: 'in-progress' }))).json();
    expect(resumed.paused).toBe(false);
    await sending;
    await client.bye();
    const done = await waitForRecording(server, rec.id, 30_000);
    expect(done.status).toBe('completed');
    expect((await (await server.api(`/calls/${callId}`)).json()).status).toBe('completed');

    const [ch1, ch2] = channelsOf(readPcmWav((await download(done.media_urls.wav)).body).samples, 2);
    for (const [recorded, sent] of [[ch1, sent1], [ch2, sent2]] as const) {
      const runs = explain(recorded, sent).filter((r) => r.length > 8);
      // Each stream is anchored by its own first packet's arrival, so one channel may end a
      // few ms before the other; the WAV pads the shorter one with silence at the end.
      const last = runs.at(-1);
      if (last?.kind === 'silence' && last.at + last.length === recorded.length && last.length < PACKET) runs.pop();
      const audio = runs.filter((r) => r.kind === 'audio') as Array<{ at: number; sentAt: number; length: number }>;
      const silence = runs.filter((r) => r.kind === 'silence');
      // Audio before and after the pause, one silent span between, all on one timeline.
      const shape = JSON.stringify(runs.map((r) => ({ kind: r.kind, at: r.at, length: r.length })));
      expect(audio, shape).toHaveLength(2);
      expect(silence, shape).toHaveLength(1);
      expect(audio[1].at - audio[0].at).toBe(audio[1].sentAt - audio[0].sentAt);
      expect(silence[0].at).toBe(audio[0].at + audio[0].length);
      // The silent span is the pause: about 800 ms.
      expect(Math.abs(silence[0].length - 0.8 * 8000)).toBeLessThan(0.15 * 8000);
    }
  });

  it('cuts a paused span out with pause_behavior skip, and accepts several recordings of one call', async () => {
    const callId = `skip-${backend}-${Date.now()}`;
    const { sending, sent1 } = await placeCall(callId, 4, 200);
    await sleep(400);
    const first = await (await server.api(`/calls/${callId}/recordings`, json({ track: 'inbound', channels: 1 }))).json();
    await sleep(800);
    await server.api(`/recordings/${first.id}`, json({ status: 'paused', pause_behavior: 'skip' }));
    await sleep(800);
    await server.api(`/recordings/${first.id}`, json({ status: 'in-progress' }));
    await sleep(600);
    const stopped = await server.api(`/recordings/${first.id}`, json({ status: 'stopped' }));
    expect(stopped.status).toBe(200);
    const second = await server.api(`/calls/${callId}/recordings`, json({}));
    expect(second.status).toBe(201);
    await sending;
    await client.bye();

    const done = await waitForRecording(server, first.id, 30_000);
    expect(done).toMatchObject({ status: 'completed', channels: 1, source: 'on-demand' });
    const recorded = readPcmWav((await download(done.media_urls.wav)).body).samples;
    const runs = explain(recorded, sent1).filter((r) => r.length > 8);
    expect(runs.every((r) => r.kind === 'audio')).toBe(true);
    expect(runs).toHaveLength(2);
    const [before, after] = runs as Array<{ at: number; sentAt: number; length: number }>;
    // Back to back in the file, but ~800 ms apart in the call: the pause was cut out.
    expect(after.at).toBe(before.at + before.length);
    expect(Math.abs(after.sentAt - (before.sentAt + before.length) - 0.8 * 8000)).toBeLessThan(0.15 * 8000);

    const both = await recordingsOf(server, callId);
    expect(both).toHaveLength(2);
    await waitForRecording(server, (await second.json()).id, 30_000);
  });

  it('answers 404 for unknown calls, 409 for ended calls and finished recordings, 400 for bad control input', async () => {
    expect((await server.api('/calls/no-such-call')).status).toBe(404);
    expect((await server.api('/calls/no-such-call/recordings', json({}))).status).toBe(404);
    const ended = (await (await server.api('/calls?status=completed')).json()).calls[0];
    const late = await server.api(`/calls/${encodeURIComponent(ended.call_id)}/recordings`, json({}));
    expect(late.status).toBe(409);
    expect((await late.json()).code).toBe('call_ended');
    const finished = (await (await server.api('/recordings?status=completed')).json()).recordings[0];
    const control = await server.api(`/recordings/${finished.id}`, json({ status: 'paused' }));
    expect(control.status).toBe(409);
    expect((await control.json()).code).toBe('recording_not_live');
    expect((await server.api(`/recordings/${finished.id}`, json({ status: 'deleted' }))).status).toBe(400);
    expect((await server.api(`/calls/${encodeURIComponent(ended.call_id)}/recordings`, json({ channels: 3 }))).status).toBe(400);
    const other = await server.app.accounts.createAccount('other');
    expect((await server.api(`/calls/${encodeURIComponent(ended.call_id)}`, { key: other.apiKey })).status).toBe(404);
  });

  it('records automatically when a rule matches, and not when none does', async () => {
    const rule = await server.api('/recording-rules', json({ name: 'sales line', match: { to: '+1555987*', ingest: 'siprec' }, action: { record: true, channels: 1 } }));
    expect(rule.status).toBe(201);
    const ruleBody = await rule.json();
    expect(ruleBody).toMatchObject({ enabled: true, match: { to: '+1555987*' }, action: { record: true, channels: 1 } });
    const matching = `rule-hit-${backend}-${Date.now()}`;
    const a = await placeCall(matching, 1, 300);
    await a.sending;
    await client.bye();
    const [recorded] = await recordingsOf(server, matching);
    expect(recorded).toMatchObject({ source: 'automatic', channels: 1 });
    await waitForRecording(server, recorded.id, 30_000);

    await server.api(`/recording-rules/${ruleBody.id}`, { ...json({ match: { to: '+1444*' } }), method: 'PATCH' });
    const missing = `rule-miss-${backend}-${Date.now()}`;
    const b = await placeCall(missing, 1, 400);
    await b.sending;
    await client.bye();
    await sleep(500);
    expect(await recordingsOf(server, missing)).toEqual([]);
    expect((await (await server.api(`/calls/${missing}`)).json()).status).toBe('completed');
    const list = await (await server.api('/recording-rules')).json();
    expect(list.recording_rules.map((r: any) => r.id)).toEqual([ruleBody.id]);
    expect((await server.api(`/recording-rules/${ruleBody.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await server.api(`/recording-rules/${ruleBody.id}`)).status).toBe(404);
    expect((await server.api('/recording-rules', json({ match: { to: 'x' }, action: { record: 'yes' } }))).status).toBe(400);
  });
});
