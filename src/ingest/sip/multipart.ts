import { splitTopLevel, trimWsp } from './sip-scanner.js';

/** One body part; `contentType` is the lower-cased media type without parameters. */
export interface BodyPart {
  contentType: string;
  /** Part headers with lower-cased names (the last one wins when repeated). */
  headers: Record<string, string>;
  body: Buffer;
}

/** A Content-Type value split into a lower-cased media type and its parameters. */
export interface ContentType {
  mediaType: string;
  params: Record<string, string>;
}

/** Parses `type/subtype; name=value; name="quoted"`; never throws. */
export function parseContentType(value: string): ContentType {
  const [media = '', ...rest] = splitTopLevel(value, ';');
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    let v = trimWsp(p.slice(eq + 1));
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    params[trimWsp(p.slice(0, eq)).toLowerCase()] = v;
  }
  return { mediaType: normalizeMediaType(media), params };
}

// Lower-case and drop whitespace, so 'Application/SDP ' and 'application/ +xml' compare as written.
function normalizeMediaType(media: string): string {
  let out = '';
  for (const ch of media.toLowerCase()) if (ch !== ' ' && ch !== '\t') out += ch;
  return out;
}

const MAX_PARTS = 32;

/**
 * Splits a MIME body (RFC 2046 §5.1) into parts. Tolerates what SIPREC equipment sends:
 * quoted or bare boundary, CRLF or bare LF, preamble and epilogue, a missing close
 * delimiter, a boundary parameter that is missing or does not occur (the first `--line`
 * of the body is then taken as the boundary). A non-multipart body is one part.
 */
export function parseMultipart(body: Buffer, contentTypeHeader: string): BodyPart[] {
  const ct = parseContentType(contentTypeHeader);
  if (!ct.mediaType.startsWith('multipart/')) {
    return [{ contentType: ct.mediaType, headers: { 'content-type': contentTypeHeader }, body }];
  }
  let boundary: string | undefined = ct.params['boundary'];
  if (boundary === undefined || findDelimiter(body, Buffer.from(`--${boundary}`), 0) < 0) {
    boundary = sniffBoundary(body);
    if (boundary === undefined) return [{ contentType: ct.mediaType, headers: { 'content-type': contentTypeHeader }, body }];
  }
  const delim = Buffer.from(`--${boundary}`);
  const parts: BodyPart[] = [];
  let at = findDelimiter(body, delim, 0);
  while (at >= 0 && parts.length < MAX_PARTS) {
    let pos = at + delim.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break; // close delimiter: the rest is epilogue
    const eol = body.indexOf(0x0a, pos);
    if (eol < 0) break;
    pos = eol + 1;
    const next = findDelimiter(body, delim, pos);
    let end = next < 0 ? body.length : next;
    // The line break before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
    if (next >= 0) {
      if (end > pos && body[end - 1] === 0x0a) end--;
      if (end > pos && body[end - 1] === 0x0d) end--;
    }
    parts.push(parsePart(body.subarray(pos, end)));
    at = next;
  }
  return parts;
}

// Delimiter = boundary at the start of the body or right after a line feed.
function findDelimiter(body: Buffer, delim: Buffer, from: number): number {
  let i = body.indexOf(delim, from);
  while (i > 0 && body[i - 1] !== 0x0a) i = body.indexOf(delim, i + 1);
  return i;
}

function sniffBoundary(body: Buffer): string | undefined {
  let pos = 0;
  const limit = Math.min(body.length, 4096);
  while (pos < limit) {
    const eol = body.indexOf(0x0a, pos);
    const end = eol < 0 ? body.length : eol;
    const line = trimWsp(body.toString('latin1', pos, end).replace(/\r$/, ''));
    if (line.startsWith('--') && line.length > 2 && line.length <= 72) return line.slice(2);
    if (eol < 0) break;
    pos = eol + 1;
  }
  return undefined;
}

function parsePart(part: Buffer): BodyPart {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  let pos = 0;
  let last: string | undefined;
  while (pos < part.length) {
    const eol = part.indexOf(0x0a, pos);
    const end = eol < 0 ? part.length : eol;
    const lineEnd = end > pos && part[end - 1] === 0x0d ? end - 1 : end;
    if (lineEnd === pos) {
      pos = end + 1;
      return finish(headers, part.subarray(Math.min(pos, part.length)));
    }
    const line = part.toString('utf8', pos, lineEnd);
    const colon = line.indexOf(':');
    if ((line[0] === ' ' || line[0] === '\t') && last !== undefined) {
      headers[last] = `${headers[last]} ${trimWsp(line)}`;
    } else if (colon > 0) {
      last = trimWsp(line.slice(0, colon)).toLowerCase();
      headers[last] = trimWsp(line.slice(colon + 1));
    } else {
      // Not a header: the part has no header section and this is already content.
      return finish(headers, part.subarray(pos));
    }
    pos = eol < 0 ? part.length : eol + 1;
  }
  return finish(headers, Buffer.alloc(0));
}

function finish(headers: Record<string, string>, body: Buffer): BodyPart {
  const ct = headers['content-type'];
  return { contentType: ct === undefined ? 'text/plain' : parseContentType(ct).mediaType, headers, body };
}
