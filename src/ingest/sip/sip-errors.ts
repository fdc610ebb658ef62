import type { SipHeader } from './sip-types.js';

/** Stable codes for every way a SIP message can be refused by the parser. */
export type SipParseErrorCode =
  | 'EMPTY'
  | 'MESSAGE_TOO_LARGE'
  | 'NO_HEADER_END'
  | 'BAD_START_LINE'
  | 'BAD_METHOD'
  | 'BAD_URI'
  | 'BAD_VERSION'
  | 'VERSION_NOT_SUPPORTED'
  | 'BAD_STATUS_CODE'
  | 'BAD_HEADER'
  | 'UNTERMINATED_QUOTE'
  | 'HEADER_TOO_LARGE'
  | 'TOO_MANY_HEADERS'
  | 'MISSING_HEADER'
  | 'DUPLICATE_HEADER'
  | 'BAD_CSEQ'
  | 'CSEQ_MISMATCH'
  | 'BAD_CONTENT_LENGTH'
  | 'MISSING_CONTENT_LENGTH'
  | 'BODY_TRUNCATED'
  | 'MALFORMED';

/** What could be read before the parser gave up: enough, sometimes, to answer with a 400. */
export interface PartialSipMessage {
  kind: 'request' | 'response';
  method?: string;
  headers: SipHeader[];
}

/** The only error type the SIP parsers throw; `code` is stable, `message` is for logs. */
export class SipParseError extends Error {
  override readonly name = 'SipParseError';
  readonly code: SipParseErrorCode;
  /** Header name the problem was found in, when there is one. */
  readonly header?: string;
  /** Filled in by parseSipMessage once the start line and header lines are known. */
  partial?: PartialSipMessage;

  constructor(code: SipParseErrorCode, message: string, header?: string) {
    super(message);
    this.code = code;
    if (header !== undefined) this.header = header;
  }
}

/** True for errors thrown by this module's parsers. */
export function isSipParseError(err: unknown): err is SipParseError {
  return err instanceof SipParseError;
}

/** Status and reason phrase a UAS should answer a request that failed to parse with. */
export function rejectionFor(err: SipParseError): { status: number; reason: string } {
  if (err.code === 'VERSION_NOT_SUPPORTED') return { status: 505, reason: 'Version Not Supported' };
  if (err.code === 'MESSAGE_TOO_LARGE') return { status: 513, reason: 'Message Too Large' };
  // A reason phrase may not hold CR/LF; the code is a safe, short explanation.
  return { status: 400, reason: `Bad Request (${err.code.toLowerCase().replace(/_/g, ' ')})` };
}
