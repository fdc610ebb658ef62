// The load process of `npm run bench:streams`: opens N Twilio-format media streams with
// both tracks at --ramp streams a second, and sends each at real-time pace (one 20 ms
// frame per track every 20 ms, timestamps from the schedule, not the send time) until
// --seconds after the last one opened; then `stop` and a close. Every stream thus runs
// at least --seconds, all N at once for exactly that long. Runs in its own process so its
// CPU is not the server's.
//
// It speaks WebSocket over raw TCP: a hand-written upgrade request, then pre-framed,
// masked (with the all-zero mask RFC 6455 allows, so the payload needs no XOR) text frames,
// both tracks in one write. That keeps the sender cheap enough to drive 1,500 streams from
// one core of the same machine.
//
// Protocol with the parent (one JSON object per stdout line):
//   {"event":"ramped"}     every stream is open and sending
//   {"event":"draining"}   --seconds later: streams stop
//   {"event":"done", ...}  every stream is closed; the figures
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { payloadB64 } from './streams-signal.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    key: { type: 'string', default: '' },
    streams: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '60' },
    ramp: { type: 'string', default: '25' },
    tag: { type: 'string', default: 'run' },
  },
});
const url = new URL(values.url!);
const N = Number(values.streams);
const SECONDS = Number(values.seconds);
const RAMP_PER_SECOND = Number(values.ramp);
const TAG = values.tag!;

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

/** One client frame: FIN + text, the 16-bit length form, a zero mask, the payload as is. */
function writeFrame(buf: Buffer, offset: number, payload: string, opcode = 0x81): number {
  const len = payload.length;
  buf[offset] = opcode;
  buf[offset + 1] = 0x80 | 126;
  buf.writeUInt16BE(len, offset + 2);
  buf.writeUInt32BE(0, offset + 4);
  buf.write(payload, offset + 8, 'latin1');
  return offset + 8 + len;
}

function frame(payload: string): Buffer {
  const buf = Buffer.allocUnsafe(8 + payload.length);
  writeFrame(buf, 0, payload);
  return buf;
}

interface Stream {
  index: number;
  callSid: string;
  streamSid: string;
  socket: net.Socket;
  startMs: number;
  k: number;
  seq: number;
  done: boolean;
  closed: boolean;
  closeCode: number;
}

const streams: Stream[] = [];
let failures = 0;
let errors = 0;
let maxBacklog = 0;
const slips: number[] = [];
let maxSlip = 0;
let framesSent = 0;

function connect(index: number): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port), noDelay: true });
    const s: Stream = {
      index,
      callSid: `BENCH-${TAG}-${index}`,
      streamSid: `MZ${randomBytes(16).toString('hex')}`,
      socket,
      startMs: 0,
      k: 0,
      seq: 0,
      done: false,
      closed: false,
      closeCode: 0,
    };
    let head = '';
    let upgraded = false;
    // A server too busy to answer the upgrade within a minute counts as a failed stream.
    const timeout = setTimeout(() => {
      if (upgraded) return;
      socket.destroy();
      reject(new Error(`stream ${index}: no upgrade answer within 60 s`));
    }, 60_000);
    socket.on('connect', () => {
      const key = randomBytes(16).toString('base64');
      socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${values.key ? `X-API-Key: ${values.key}\r\n` : ''}\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => {
      if (!upgraded) {
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!head.startsWith('HTTP/1.1 101')) {
          socket.destroy();
          return reject(new Error(`stream ${index}: ${head.split('\r\n')[0]}`));
        }
        upgraded = true;
        clearTimeout(timeout);
        resolve(s);
        chunk = Buffer.from(head.slice(end + 4), 'latin1');
        if (chunk.length === 0) return;
      }
      // Server frames: only a close is expected (after stop). Unmasked, short.
      if ((chunk[0] & 0x0f) === 0x08 && chunk.length >= 4) s.closeCode = chunk.readUInt16BE(2);
    });
    socket.on('error', (err) => {
      errors++;
      if (!upgraded) reject(err);
    });
    socket.on('close', () => {
      s.closed = true;
      if (!s.done) failures++;
    });
  });
}

function startMessages(s: Stream): Buffer {
  const start = JSON.stringify({
    event: 'start',
    sequenceNumber: String(++s.seq),
    start: {
      accountSid: 'ACbench',
      streamSid: s.streamSid,
      callSid: s.callSid,
      tracks: ['inbound', 'outbound'],
      customParameters: { From: `+1555${String(s.index).padStart(7, '0')}`, To: '+15550000000', bench: TAG },
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    },
    streamSid: s.streamSid,
  });
  return Buffer.concat([frame('{"event":"connected","protocol":"Call","version":"1.0.0"}'), frame(start)]);
}

function media(s: Stream, track: 'inbound' | 'outbound', k: number): string {
  return `{"event":"media","sequenceNumber":"${++s.seq}","media":{"track":"${track}","chunk":"${k + 1}","timestamp":"${k * 20}","payload":"${payloadB64(s.index, track === 'inbound' ? 0 : 1, k)}"},"streamSid":"${s.streamSid}"}`;
}

/** When every stream stops (performance.now() ms), set once all are open. */
let stopAt = Number.POSITIVE_INFINITY;

/** Sends every frame of `s` that is due by `now` (catching up after a stall, timestamps unchanged). */
function pump(s: Stream, now: number): void {
  while (s.startMs + s.k * 20 < stopAt && s.startMs + s.k * 20 <= now) {
    const slip = now - (s.startMs + s.k * 20);
    if (slip > maxSlip) maxSlip = slip;
    if ((s.k & 15) === 0) slips.push(slip);
    const a = media(s, 'inbound', s.k);
    const b = media(s, 'outbound', s.k);
    const buf = Buffer.allocUnsafe(16 + a.length + b.length);
    writeFrame(buf, writeFrame(buf, 0, a), b);
    s.socket.write(buf);
    if (s.socket.writableLength > maxBacklog) maxBacklog = s.socket.writableLength;
    s.k++;
    framesSent += 2;
  }
  if (now >= stopAt && !s.done) {
    s.done = true;
    const stop = JSON.stringify({ event: 'stop', sequenceNumber: String(++s.seq), stop: { accountSid: 'ACbench', callSid: s.callSid }, streamSid: s.streamSid });
    const close = Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);
    s.socket.write(Buffer.concat([frame(stop), close]));
  }
}

const t0 = performance.now();
let opened = 0;
let ramped = false;
let draining = false;
const timer = setInterval(() => {
  const now = performance.now();
  if (!draining && now >= stopAt) {
    draining = true;
    emit({ event: 'draining' });
  }
  for (const s of streams) if (!s.done) pump(s, now);
}, 2);
const progress = setInterval(() => process.stderr.write(`  load: ${opened}/${N} open, ${framesSent} frames sent\n`), 10_000);

function allOpened(): void {
  ramped = true;
  stopAt = performance.now() + SECONDS * 1000;
  emit({ event: 'ramped', rampSeconds: (performance.now() - t0) / 1000 });
}

// Open streams at the ramp rate; each starts sending as soon as it is open.
await new Promise<void>((resolve) => {
  let next = 0;
  const opener = setInterval(() => {
    const due = Math.min(N, Math.ceil(((performance.now() - t0) / 1000) * RAMP_PER_SECOND));
    for (; next < due; next++) {
      const index = next;
      connect(index).then(
        (s) => {
          s.socket.write(startMessages(s));
          s.startMs = performance.now();
          streams.push(s);
          if (++opened === N) allOpened();
        },
        (err) => {
          failures++;
          emit({ event: 'error', message: String(err.message ?? err) });
          if (++opened === N) allOpened();
        },
      );
    }
    if (next >= N) {
      clearInterval(opener);
      resolve();
    }
  }, 10);
});

// Wait until every stream sent everything and its socket closed (or 60 s after the last frame).
await new Promise<void>((resolve) => {
  const check = setInterval(() => {
    const allDone = opened === N && streams.every((s) => s.done);
    if (allDone && streams.every((s) => s.closed)) {
      clearInterval(check);
      resolve();
    }
  }, 100);
  setTimeout(
    () => {
      clearInterval(check);
      resolve();
    },
    (SECONDS + 2 * (N / RAMP_PER_SECOND) + 180) * 1000,
  ).unref();
});
clearInterval(timer);
clearInterval(progress);
slips.sort((a, b) => a - b);
emit({
  event: 'done',
  ramped,
  streams: streams.length,
  framesSent,
  /** Frames per track of stream i (its index), for the verifier. */
  framesPerTrack: Array.from({ length: N }, (_, i) => streams.find((s) => s.index === i)?.k ?? 0),
  failures,
  errors,
  notClosed: streams.filter((s) => !s.closed).length,
  serverClosedNormally: streams.filter((s) => s.closeCode === 1000).length,
  maxBacklogBytes: maxBacklog,
  slipP99Ms: slips.length ? slips[Math.floor(slips.length * 0.99)] : 0,
  slipMaxMs: maxSlip,
});
for (const s of streams) s.socket.destroy();
process.exit(0);
