import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backendNames, createTestBucket, createTestDatabase } from '../helpers/backends.js';
import { freePort } from '../helpers/ports.js';
import { runCli, startServerProcess, waitForUrl, type ServerProcess } from '../helpers/processes.js';
import { buildOffer, SiprecClient } from '../helpers/siprec-client.js';
import { inSlots, packetize } from '../helpers/rtp-sender.js';
import { RtpSource } from '../helpers/rtp-source.js';
import { channelsOf, noise, readPcmWav } from '../helpers/audio.js';
import { download } from '../helpers/recordings.js';
import { findExact, freeUdpPort, PACKET, spoolEntries, twoParties, uniqueCallId } from '../helpers/siprec-harness.js';
import { mulawDecode, mulawEncode } from '../../src/media/g711.js';

/** A port free on both UDP and TCP (the server binds SIP on both with the same number). */
async function freeSipPort(): Promise<number> {
  for (;;) {
    const port = await freeUdpPort();
    const tcpFree = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (tcpFree) return port;
  }
}

/** Polls `fn` until it returns a value, or throws with `what` and the server's output. */
async function until<T>(fn: () => Promise<T | undefined>, what: string, proc: ServerProcess, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; server output:\n${proc.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe.each(backendNames())('SIPREC crash safety on %s', (backend) => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  /** Starts the service as a child process (as `npm start` does) and waits until it is ready. */
  async function start(env: Record<string, string>, baseUrl: string): Promise<ServerProcess> {
    const proc = startServerProcess(env);
    cleanups.push(async () => {
      if (proc.child.exitCode === null && proc.child.signalCode === null) {
        proc.child.kill('SIGKILL');
        await proc.exited;
      }
    });
    await waitForUrl(`${baseUrl}/readyz`, 60_000).catch((err) => {
      throw new Error(`${(err as Error).message}; server output:\n${proc.output().slice(-4000)}`);
    });
    return proc;
  }

  it('recovers a live call after kill -9: the recording completes with every sample that reached disk, and no spool is left', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-crash-'));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const sipPort = await freeSipPort();
    const rtpBase = 20000 + 2 * Math.floor(Math.random() * 19000);
    const baseUrl = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = {
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: baseUrl,
      SIP_HOST: '127.0.0.1',
      SIP_PORT: String(sipPort),
      RTP_PORT_MIN: String(rtpBase),
      RTP_PORT_MAX: String(rtpBase + 200),
      LOG_LEVEL: 'warn',
    };
    if (backend === 'postgres+s3') {
      const database = await createTestDatabase();
      cleanups.push(() => database.drop());
      Object.assign(env, { DATABASE_URL: database.url, STORAGE_URL: await createTestBucket(), MEDIA_URL_SECRET: 'crash-secret-0123456789abcdef' });
      const migrated = await runCli(['migrate'], env);
      expect(migrated.code, migrated.stderr).toBe(0);
    }
    const created = await runCli(['accounts', 'create', 'x'], env);
    expect(created.code, created.stderr).toBe(0);
    const { api_key: apiKey } = JSON.parse(created.stdout);
    const api = (p: string, init: RequestInit = {}) => fetch(`${baseUrl}/v1/recordings${p}`, { ...init, headers: { 'x-api-key': apiKey, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });

    const first = await start(env, baseUrl);
    const user = `crash-${Date.now().toString(36)}`;
    const trunk = await api('/sip-trunks', { method: 'POST', body: JSON.stringify({ request_uri_user: user, allowed_sources: ['127.0.0.1'] }) });
    expect(trunk.status).toBe(201);

    const client = new SiprecClient('udp', { host: '127.0.0.1', port: sipPort }, user);
    await client.connect();
    cleanups.push(() => client.close());
    const callId = uniqueCallId('crash');
    const invite = await client.invite(buildOffer([{ label: '1' }, { label: '2' }]), twoParties(callId));
    expect(invite.status, first.output().slice(-3000)).toBe(200);
    const live = await until(async () => (await (await api(`/recordings?call_id=${callId}`)).json()).recordings[0], 'the live recording', first);
    expect(live.status).toBe('in-progress');

    // 4.5 s of known audio on each party's stream at real-time pace, then SIGKILL with the call still up.
    const packets = 225;
    const audio = [noise(packets * PACKET, 901), noise(packets * PACKET, 902)];
    const media = await RtpSource.open();
    cleanups.push(() => media.close());
    await media.sendPaced(invite.rtpPorts.map((p, i) => ({ port: p, slots: inSlots(packetize(mulawEncode(audio[i]), { payloadType: 0, ssrc: 0x900 + i, bytesPerPacket: PACKET, ticksPerPacket: PACKET })) })));
    first.child.kill('SIGKILL');
    await first.exited;
    expect(first.child.signalCode).toBe('SIGKILL');
    const spoolRoot = path.join(dataDir, 'spool');
    expect(spoolEntries(spoolRoot), 'the killed process left its spool behind').toHaveLength(1);

    // Restart on the same data: recovery turns the spool into a completed recording.
    const second = await start(env, baseUrl);
    const done = await until(
      async () => {
        const r = await (await api(`/recordings/${live.id}`)).json();
        return r.status === 'in-progress' ? undefined : r;
      },
      'the recovered recording to leave in-progress',
      second,
    );
    expect(done).toMatchObject({ id: live.id, call_id: callId, status: 'completed', channels: 2, sample_rate: 8000 });
    expect(done.duration).toBeGreaterThanOrEqual(3);
    expect(done.duration).toBeLessThanOrEqual(5);
    expect((await (await api('/recordings?status=in-progress')).json()).total).toBe(0);
    expect(spoolEntries(spoolRoot), 'no spool directory left after recovery').toEqual([]);

    const wav = readPcmWav((await download(done.media_urls.wav)).body);
    expect(wav).toMatchObject({ sampleRate: 8000, channels: 2 });
    const channels = channelsOf(wav.samples, 2);
    // Audio reaches the spool within about two flush intervals (1 s), plus the 60 ms reorder
    // window: everything sent up to 1.5 s before the kill (the first 3 s) must be there, sample
    // for sample. (The slack covers a loaded machine where the server reads RTP late.)
    const mustHave = (packets - 75) * PACKET;
    for (let c = 0; c < 2; c++) {
      const sent = mulawDecode(mulawEncode(audio[c]));
      const at = findExact(channels[c], sent.subarray(0, PACKET));
      expect(at, `channel ${c + 1}: first packet`).toBeGreaterThanOrEqual(0);
      const got = channels[c].subarray(at, at + mustHave);
      let wrong = 0;
      for (let i = 0; i < mustHave; i++) if (got[i] !== sent[i]) wrong++;
      expect(got.length, `channel ${c + 1}: at least 3 s recovered`).toBe(mustHave);
      expect(wrong, `channel ${c + 1}: recovered samples differing from those sent`).toBe(0);
      // Whatever was recovered past that is still the call's audio, in place.
      const rest = channels[c].subarray(at + mustHave);
      const extra = Math.min(rest.length, sent.length - mustHave);
      for (let i = 0; i < extra; i++) if (rest[i] !== 0 && rest[i] !== sent[mustHave + i]) wrong++;
      expect(wrong, `channel ${c + 1}: the recovered tail is the audio sent`).toBe(0);
    }

    // The restarted process serves calls on the same SIP port.
    const again = new SiprecClient('udp', { host: '127.0.0.1', port: sipPort }, user);
    await again.connect();
    cleanups.push(() => again.close());
    const next = await again.invite(buildOffer([{ label: '1' }, { label: '2' }]), twoParties(uniqueCallId('after')));
    expect(next.status, second.output().slice(-3000)).toBe(200);
    expect(await again.bye()).toBe(200);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 120_000);
});
