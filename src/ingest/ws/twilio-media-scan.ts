/**
 * The hot path of Twilio streams: a `media` message is about 330 bytes of JSON, 50 per
 * second per track, 100,000 a second at 1,000 streams. Instead of decoding it to a string,
 * parsing the JSON and decoding base64 into a Buffer (about 2.4 µs), this scanner walks the
 * raw bytes once for the three fields it needs and decodes the base64 payload straight
 * into samples through the G.711 table, without allocating (about 0.6 µs).
 *
 * It only accepts the compact shape Twilio sends: anything it does not recognise (no
 * `"event":"media"`, spaces around a colon, escape sequences, a missing field) makes it
 * decline, and the caller falls back to JSON.parse, so unusual but valid messages are
 * still read correctly.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

/** base64 alphabet → 6-bit value; 255 = not in the alphabet. */
const B64 = new Uint8Array(256).fill(255);
{
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) B64[alphabet.charCodeAt(i)] = i;
  // base64url too: some senders use it.
  B64['-'.charCodeAt(0)] = 62;
  B64['_'.charCodeAt(0)] = 63;
}

/** What the scanner found in one media message. */
export interface ScannedMedia {
  /** Track name bytes [trackStart, trackEnd). */
  trackStart: number;
  trackEnd: number;
  /** Stream time of the frame, ms; NaN when absent or not a number. */
  timestampMs: number;
  /** base64 payload bytes [payloadStart, payloadEnd). */
  payloadStart: number;
  payloadEnd: number;
}

/** True when `buf[at, at + word.length)` holds the ASCII `word`. */
function bytesEqual(buf: Buffer, at: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if (buf[at + i] !== word.charCodeAt(i)) return false;
  return true;
}

/**
 * Finds the fields of a compact media message in one pass over its bytes; false when the
 * message is not one (no `"event":"media"`, a missing field, an escape sequence, spaces
 * around a colon): the caller then uses JSON.parse. Nesting is not tracked: these keys
 * occur only in the media object of a media message; for a repeated key the last wins,
 * as with JSON.parse.
 */
export function scanMedia(buf: Buffer, out: ScannedMedia): boolean {
  const n = buf.length;
  let isMedia = false;
  let track = false;
  let payload = false;
  out.timestampMs = Number.NaN;
  let i = 0;
  while (i < n) {
    if (buf[i] !== QUOTE) {
      i++;
      continue;
    }
    const start = i + 1;
    let end = start;
    while (end < n && buf[end] !== QUOTE) {
      if (buf[end] === BACKSLASH) return false;
      end++;
    }
    if (end >= n) return false;
    i = end + 1;
    if (buf[i] !== COLON) continue; // a value, not a key
    const len = end - start;
    const v = i + 1; // first byte of the value
    if (len === 5 && bytesEqual(buf, start, 'event')) {
      isMedia = bytesEqual(buf, v, '"media"');
      if (!isMedia) return false;
    } else if (len === 5 && bytesEqual(buf, start, 'track') && buf[v] === QUOTE) {
      out.trackStart = v + 1;
      out.trackEnd = buf.indexOf(QUOTE, v + 1);
      if (out.trackEnd < 0 || out.trackEnd - out.trackStart > 32) return false;
      track = true;
      i = out.trackEnd + 1;
    } else if (len === 9 && bytesEqual(buf, start, 'timestamp')) {
      // "timestamp":"1234" (Twilio) or "timestamp":1234; anything else is NaN.
      const quoted = buf[v] === QUOTE;
      const from = quoted ? v + 1 : v;
      let to = from;
      let value = 0;
      while (to < n && buf[to] >= 0x30 && buf[to] <= 0x39) value = value * 10 + (buf[to++] - 0x30);
      if (quoted) {
        const close = buf.indexOf(QUOTE, from);
        if (close < 0) return false;
        out.timestampMs = close === to && to > from && to - from <= 15 ? value : Number.NaN;
        i = close + 1;
      } else {
        const t = buf[to];
        out.timestampMs = to > from && to - from <= 15 && (t === 0x2c || t === 0x7d) ? value : Number.NaN;
        i = to;
      }
    } else if (len === 7 && bytesEqual(buf, start, 'payload') && buf[v] === QUOTE) {
      // Base64 has no quotes or backslashes: the next quote ends it.
      out.payloadStart = v + 1;
      out.payloadEnd = buf.indexOf(QUOTE, v + 1);
      if (out.payloadEnd < 0) return false;
      payload = true;
      i = out.payloadEnd + 1;
    }
  }
  return isMedia && track && payload;
}

/** Bytes (= G.711 samples) the base64 in `buf[start, end)` decodes to, or -1 when its length is impossible. */
export function decodedLength(buf: Buffer, start: number, end: number): number {
  let e = end;
  if (e > start && buf[e - 1] === 0x3d) e--;
  if (e > start && buf[e - 1] === 0x3d) e--;
  const len = e - start;
  return len % 4 === 1 ? -1 : Math.floor((len * 3) / 4);
}

/**
 * Decodes base64 bytes `buf[start, end)` through `table` (byte → sample, e.g. µ-law) into
 * `out`, which must hold {@link decodedLength} samples. Returns false on a character
 * outside the alphabet (the payload is malformed).
 */
export function decodeBase64Samples(buf: Buffer, start: number, end: number, table: Int16Array, out: Int16Array): boolean {
  let e = end;
  if (e > start && buf[e - 1] === 0x3d) e--;
  if (e > start && buf[e - 1] === 0x3d) e--;
  let o = 0;
  let i = start;
  for (; i + 4 <= e; i += 4) {
    const a = B64[buf[i]];
    const b = B64[buf[i + 1]];
    const c = B64[buf[i + 2]];
    const d = B64[buf[i + 3]];
    if ((a | b | c | d) > 63) return false;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = table[n >> 16];
    out[o++] = table[(n >> 8) & 0xff];
    out[o++] = table[n & 0xff];
  }
  const rest = e - i;
  if (rest === 2 || rest === 3) {
    const a = B64[buf[i]];
    const b = B64[buf[i + 1]];
    const c = rest === 3 ? B64[buf[i + 2]] : 0;
    if ((a | b | c) > 63) return false;
    const n = (a << 18) | (b << 12) | (c << 6);
    out[o++] = table[n >> 16];
    if (rest === 3) out[o++] = table[(n >> 8) & 0xff];
  } else if (rest !== 0) return false;
  return true;
}
