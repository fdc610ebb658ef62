import { SipParseError } from './sip-errors.js';
import { Cursor, isTokenChar, isWsp, readParams } from './sip-scanner.js';
import { parseUri, type ParsedUri } from './sip-uri.js';
import type { SipParams } from './sip-types.js';

/** A From/To/Contact/Route value: `"Name" <uri>;params` or `uri;params` (RFC 3261 §20.10, §25.1). */
export interface NameAddr {
  displayName?: string;
  /** The URI text without the angle brackets. */
  uri: string;
  parsedUri: ParsedUri;
  /** Header parameters (after the URI), e.g. `tag`; names lower-cased. */
  params: SipParams;
}

/** Parses one name-addr / addr-spec header value; throws SipParseError on any syntax error. */
export function parseNameAddr(value: string, header = 'address'): NameAddr {
  const cur = new Cursor(value, header);
  cur.skipWs();
  let displayName: string | undefined;
  let uriText: string;
  if (cur.peek() === '"') {
    displayName = cur.quoted();
    cur.skipWs();
    if (cur.peek() !== '<') cur.fail("expected '<' after display name");
    uriText = readBracketed(cur);
  } else if (cur.peek() === '<') {
    uriText = readBracketed(cur);
  } else {
    const tokens = readDisplayTokens(cur);
    if (tokens !== undefined) {
      // lwsdisp (RFC 4475 §3.1.1.6): a token display name directly followed by '<' is accepted.
      displayName = tokens;
      uriText = readBracketed(cur);
    } else {
      // addr-spec form: the URI ends at the first ';', and must not contain ',', '?' or LWS (§20.10).
      const start = cur.pos;
      while (!cur.eof() && cur.peek() !== ';') cur.pos++;
      uriText = value.slice(start, cur.pos).trimEnd();
      for (let i = 0; i < uriText.length; i++) {
        const c = uriText.charCodeAt(i);
        if (c === 0x2c || c === 0x3f || c === 0x3c || c === 0x3e || c === 0x22 || isWsp(c)) {
          throw new SipParseError('BAD_HEADER', `${header}: URI with ',', '?' or spaces must be in <>`, header);
        }
      }
    }
  }
  const parsedUri = parseUri(uriText);
  const params = readParams(cur);
  const result: NameAddr = { uri: uriText, parsedUri, params };
  if (displayName !== undefined && displayName.length > 0) result.displayName = displayName;
  return result;
}

// At '<': returns the text up to '>' and moves past it. LWS inside the brackets is an error (badaspec).
function readBracketed(cur: Cursor): string {
  const close = cur.text.indexOf('>', cur.pos);
  if (close < 0) cur.fail("missing '>'");
  const inner = cur.text.slice(cur.pos + 1, close);
  for (let i = 0; i < inner.length; i++) {
    if (isWsp(inner.charCodeAt(i))) cur.fail('whitespace inside <>');
  }
  cur.pos = close + 1;
  return inner;
}

// `*(token LWS)` followed by '<' is an unquoted display name; anything else is not (returns undefined).
function readDisplayTokens(cur: Cursor): string | undefined {
  const start = cur.pos;
  let i = start;
  const text = cur.text;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x3c) {
      cur.pos = i;
      return text.slice(start, i).trim().replace(/[ \t]+/g, ' ');
    }
    // Tolerance: unquoted UTF-8 display names (José <sip:...>) are common; ',' etc. still are not.
    if (!isTokenChar(c) && !isWsp(c) && c < 0x80) return undefined;
    i++;
  }
  return undefined;
}

/** Returns the `tag` parameter of a From/To value, or undefined when absent or unparseable. */
export function getTag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const tag = parseNameAddr(value).params['tag'];
    return tag === undefined || tag === '' ? undefined : tag;
  } catch {
    return undefined;
  }
}
