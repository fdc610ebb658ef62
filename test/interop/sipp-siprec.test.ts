/**
 * Interop: the real sipp acts as the SIPREC recording client (SRC) against a freshly
 * started service, with the scenario kept in the repository (sipp/siprec-uac.xml) and
 * RTP captures generated at run time (siprec-streams.ts). See README.md beside this file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { channelsOf, readPcmWav, toneStrength } from '../helpers/audio.js';
import { download, waitForRecording } from '../helpers/recordings.js';
import { decodeMp3 } from '../../src/media/mp3.js';
import { CALLEE_TONE_HZ, CALLER_TONE_HZ, STREAM_SECONDS, writeSiprecStreamsPcap } from './siprec-streams.js';
import { describeSippRun, freeUdpBlock, sippUnavailableReason, startSipp, type SippRun } from './sipp-runner.js';

const SCENARIO = path.join(import.meta.dirname, 'sipp', 'siprec-uac.xml');
const RATE = 8000;
const FRAME = 160; // samples per 20 ms at 8 kHz, one RTP packet's worth

const unavailable = sippUnavailableReason();
if (unavailable) {
  if (process.env.CI === 'true') throw new Error(`CI=true but the sipp interop suite cannot run: ${unavailable}`);
  console.warn(`[telefonie tests] skipping the sipp SIPREC interop suite: ${unavailable}`);
}

/** Which of the two tones a stretch of audio carries: 'caller', 'callee', or undefined for silence or a mix. */
function toneOf(samples: Int16Array, rate: number): 'caller' | 'callee' | undefined {
  const a = toneStrength(samples, CALLER_TONE_HZ, rate);
  const b = toneStrength(samples, CALLEE_TONE_HZ, rate);
  if (a > 500 && a > 20 * b) return 'caller';
  if (b > 500 && b > 20 * a) return 'callee';
  return undefined;
}

/** Counts the 20 ms frames of a channel by the tone they carry. */
function frameTones(channel: Int16Array, rate: number): { caller: number; callee: number; other: number } {
  const frame = (rate / 8000) * FRAME;
  const out = { caller: 0, callee: 0, other: 0 };
  for (let i = 0; i + frame <= channel.length; i += frame) out[toneOf(channel.subarray(i, i + frame), rate) ?? 'other']++;
  return out;
}

/** `GET /v1/recordings/recordings?call_id=...`, as a client would ask. */
async function listByCallId(server: TestServer, callId: string): Promise<any> {
  const res = await server.api(`/recordings?call_id=${encodeURIComponent(callId)}`);
  expect(res.status).toBe(200);
  return res.json();
}

describe.skipIf(unavailable !== undefined).each(unavailable ? (['sqlite+disk'] as const) : backendNames())('sipp as the SIPREC recording client, service on %s', (backend) => {
  const trunkUser = `sipp${backend === 'sqlite+disk' ? 'lite' : 'pg'}`;
  let server: TestServer;
  let workDir: string;
  const running = new Set<SippRun>();

  beforeAll(async () => {
    server = await startTestServer(backend);
    const trunk = await server.api('/sip-trunks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request_uri_user: trunkUser, allowed_sources: ['127.0.0.0/8'] }),
    });
    expect(trunk.status, await trunk.clone().text()).toBe(201);
    // sipp finds the capture the scenario names in its working directory, and writes its traces there.
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-sipp-'));
    writeSiprecStreamsPcap(workDir);
  });

  afterAll(async () => {
    for (const run of running) run.child.kill('SIGKILL');
    await Promise.all([...running].map((r) => r.done));
    try {
      await server?.close();
    } finally {
      if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
    }
  });

  it.each([
    ['UDP', 'u1', () => server.app.ingest!.sipPorts.udp!],
    ['TCP', 't1', () => server.app.ingest!.sipPorts.tcp!],
  ] as const)(
    'records a call placed over %s: in-progress during the call, then completed with each party on its own channel in WAV and MP3',
    async (_name, transport, sipPort) => {
      const callId = `sipp-${transport}-${Date.now().toString(36)}-${Math.random().toString(16).slice(2, 8)}`;
      // Local ports: SIP on base, control on base + 1, media (-mp) on base + 2 and base + 4.
      const base = await freeUdpBlock(6);
      const args = [
        '-sf', SCENARIO,
        '-s', trunkUser,
        '-key', 'siprec_call_id', callId,
        '-t', transport,
        '-i', '127.0.0.1', '-p', String(base), '-cp', String(base + 1),
        '-mi', '127.0.0.1', '-mp', String(base + 2),
        '-m', '1', '-l', '1',
        '-timeout', '60s', '-timeout_error',
        '-nostdin', '-trace_err', '-trace_logs', '-trace_msg',
        `127.0.0.1:${sipPort()}`,
      ];
      const run = startSipp(args, workDir);
      running.add(run);
      let exited = false;
      void run.done.then(() => (exited = true));

      // While sipp is still sending media, the recording is listed as in-progress.
      let live: any;
      while (!exited && live === undefined) {
        const list = await listByCallId(server, callId);
        if (list.total > 0) live = list.recordings[0];
        else await new Promise((r) => setTimeout(r, 100));
      }
      if (live === undefined) expect.fail(`no recording was listed while sipp was in the call\n${describeSippRun(await run.done)}`);
      expect(exited, 'sipp was still in the call when the recording was listed').toBe(false);
      expect(live).toMatchObject({ call_id: callId, status: 'in-progress', source: 'automatic' });

      const result = await run.done;
      running.delete(run);
      expect(result.code, describeSippRun(result)).toBe(0);
      expect(result.traces.logs ?? '').toMatch(/SRS answered stream 1 on port \d+, stream 2 on port \d+/);

      const done = await waitForRecording(server, live.id, 30_000);
      expect(done).toMatchObject({ id: live.id, call_id: callId, status: 'completed', source: 'automatic', channels: 2, sample_rate: RATE });
      // The call timeline starts at the INVITE, so the time sipp takes to start playing comes first: 4 s of media, 4-5 s recorded.
      expect(done.duration).toBeGreaterThanOrEqual(STREAM_SECONDS);
      expect(done.duration).toBeLessThanOrEqual(STREAM_SECONDS + 1);
      expect(done.channel_map).toEqual([
        { channel: 1, participant: { aor: 'sip:alice@example.com', name: 'Alice', role: 'caller' } },
        { channel: 2, participant: { aor: 'sip:bob@example.com', name: 'Bob', role: 'callee' } },
      ]);
      const listed = await listByCallId(server, callId);
      expect(listed).toMatchObject({ total: 1, recordings: [{ id: live.id, status: 'completed', channels: 2 }] });

      // WAV: the caller's 440 Hz on channel 1 for (almost) every 20 ms frame of the call, Bob's 1000 Hz on channel 2, no cross-talk.
      const wavRes = await download(done.media_urls.wav);
      expect(wavRes.res.status).toBe(200);
      expect(wavRes.res.headers.get('content-type')).toBe('audio/wav');
      const wav = readPcmWav(wavRes.body);
      expect(wav).toMatchObject({ sampleRate: RATE, channels: 2 });
      expect(done.duration).toBe(Math.round(wav.samples.length / 2 / RATE));
      const frames = (STREAM_SECONDS * 1000) / 20;
      const [ch1, ch2] = channelsOf(wav.samples, 2);
      const t1 = frameTones(ch1, RATE);
      const t2 = frameTones(ch2, RATE);
      expect(t1.caller, `channel 1 frames: ${JSON.stringify(t1)}`).toBeGreaterThanOrEqual(frames - 2);
      expect(t1.callee).toBe(0);
      expect(t2.callee, `channel 2 frames: ${JSON.stringify(t2)}`).toBeGreaterThanOrEqual(frames - 2);
      expect(t2.caller).toBe(0);

      // MP3: decodes to the same two channels, each with its party's tone.
      const mp3Res = await download(done.media_urls.mp3);
      expect(mp3Res.res.status).toBe(200);
      expect(mp3Res.res.headers.get('content-type')).toBe('audio/mpeg');
      const mp3 = await decodeMp3(mp3Res.body);
      expect(mp3).toMatchObject({ sampleRate: RATE, channels: 2 });
      expect(mp3.samples.length / 2 / RATE).toBeGreaterThan(STREAM_SECONDS - 0.1);
      const [m1, m2] = channelsOf(mp3.samples, 2);
      expect(toneOf(m1, RATE), 'MP3 channel 1').toBe('caller');
      expect(toneOf(m2, RATE), 'MP3 channel 2').toBe('callee');
      expect(done.media_url).toBe(done.media_urls.mp3);
    },
    90_000,
  );
});
