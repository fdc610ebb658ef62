/** One header line as received (folded lines already joined); repeated headers stay separate. */
export interface SipHeader {
  name: string;
  value: string;
}

/** A parsed SIP request. `uri` is the Request-URI text, exactly as received. */
export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  version: string;
  headers: SipHeader[];
  body: Buffer;
}

/** A parsed SIP response. */
export interface SipResponse {
  kind: 'response';
  version: string;
  status: number;
  reason: string;
  headers: SipHeader[];
  body: Buffer;
}

/** Either kind of SIP message. */
export type SipMessage = SipRequest | SipResponse;

/** Parameters of a URI or header value; names are lower-cased, a valueless parameter maps to ''. */
export type SipParams = Record<string, string>;
