import WebSocket from 'ws';
import type { TestServer } from './test-server.js';

/** The stream endpoint of a test server as a ws:// URL, with an optional query. */
export function streamUrl(server: TestServer, query: Record<string, string> = {}): string {
  const qs = new URLSearchParams(query).toString();
  return `${server.baseUrl.replace(/^http/, 'ws')}/v1/recordings/streams${qs ? `?${qs}` : ''}`;
}

/** Thrown when the server refuses the upgrade; `status` is its HTTP status. */
export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`upgrade refused: ${status} ${body}`);
  }
}

/** Opens a WebSocket; resolves once open, rejects with UpgradeRefused when the server answers HTTP instead. */
export function openSocket(url: string, opts: { key?: string; protocols?: string[] } = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.key ? { 'x-api-key': opts.key } : {} });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => reject(new UpgradeRefused(res.statusCode ?? 0, body)));
    });
    ws.once('error', reject);
  });
}

/** Resolves with the close code and reason once the socket closes. */
export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve({ code: 1006, reason: '' });
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

/** Sends and waits until the bytes left this process (so a following close cannot overtake them). */
function sendAsync(ws: WebSocket, data: string | Buffer, binary = false): Promise<void> {
  return new Promise((resolve, reject) => ws.send(data, { binary }, (err) => (err ? reject(err) : resolve())));
}

/**
 * A Twilio Media Streams sender: the same JSON messages Twilio sends
 * (https://www.twilio.com/docs/voice/media-streams/websocket-messages).
 */
export class TwilioStreamClient {
  private seq = 0;
  private readonly chunk = { inbound: 0, outbound: 0 };

  constructor(
    readonly ws: WebSocket,
    readonly streamSid = `MZ${Math.random().toString(16).slice(2).padEnd(32, '0')}`,
  ) {}

  private next(): string {
    return String(++this.seq);
  }

  send(message: unknown): Promise<void> {
    return sendAsync(this.ws, typeof message === 'string' ? message : JSON.stringify(message));
  }

  connected(): Promise<void> {
    return this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
  }

  start(opts: { callSid: string; tracks?: string[]; customParameters?: Record<string, string>; mediaFormat?: Record<string, unknown> }): Promise<void> {
    return this.send({
      event: 'start',
      sequenceNumber: this.next(),
      start: {
        accountSid: 'ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
        streamSid: this.streamSid,
        callSid: opts.callSid,
        tracks: opts.tracks ?? ['inbound', 'outbound'],
        customParameters: opts.customParameters ?? {},
        mediaFormat: opts.mediaFormat ?? { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
      streamSid: this.streamSid,
    });
  }

  /** One media frame: `timestampMs` since the stream started, µ-law bytes. */
  media(track: 'inbound' | 'outbound', timestampMs: number, mulaw: Uint8Array): Promise<void> {
    return this.send({
      event: 'media',
      sequenceNumber: this.next(),
      media: { track, chunk: String(++this.chunk[track]), timestamp: String(timestampMs), payload: Buffer.from(mulaw).toString('base64') },
      streamSid: this.streamSid,
    });
  }

  dtmf(digit: string, track = 'inbound_track'): Promise<void> {
    return this.send({ event: 'dtmf', streamSid: this.streamSid, sequenceNumber: this.next(), dtmf: { track, digit } });
  }

  mark(name: string): Promise<void> {
    return this.send({ event: 'mark', sequenceNumber: this.next(), streamSid: this.streamSid, mark: { name } });
  }

  stop(callSid: string): Promise<void> {
    return this.send({ event: 'stop', sequenceNumber: this.next(), stop: { accountSid: 'ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', callSid }, streamSid: this.streamSid });
  }
}

/** An L16 sender as FreeSWITCH mod_audio_fork / jambonz `listen`: one JSON text frame, then binary little-endian PCM. */
export class L16StreamClient {
  constructor(readonly ws: WebSocket) {}

  metadata(meta: Record<string, unknown>): Promise<void> {
    return sendAsync(this.ws, JSON.stringify(meta));
  }

  text(s: string): Promise<void> {
    return sendAsync(this.ws, s);
  }

  /** Sends interleaved samples as little-endian bytes, cut into binary frames of the given byte sizes (cycled). */
  async pcm(samples: Int16Array, frameBytes: number[] = [320]): Promise<void> {
    const bytes = Buffer.alloc(samples.length * 2);
    for (let i = 0; i < samples.length; i++) bytes.writeInt16LE(samples[i], i * 2);
    let offset = 0;
    for (let i = 0; offset < bytes.length; i++) {
      const size = frameBytes[i % frameBytes.length];
      await sendAsync(this.ws, bytes.subarray(offset, offset + size), true);
      offset += size;
    }
  }

  binary(bytes: Buffer): Promise<void> {
    return sendAsync(this.ws, bytes, true);
  }
}

/** The newest recording of a call, polling until one exists. */
export async function recordingOfCall(server: TestServer, callId: string, timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await (await server.api(`/recordings?call_id=${encodeURIComponent(callId)}`)).json();
    if (list.recordings?.length > 0) return list.recordings[0];
    if (list.recordings === undefined) throw new Error(`listing recordings of ${callId}: ${JSON.stringify(list)}`);
    if (Date.now() > deadline) throw new Error(`no recording for call ${callId}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
