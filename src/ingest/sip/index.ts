// Public surface of the SIP ingest layer: the SIPREC session code imports from here.
export { SipServer, type SipServerOptions } from './sip-transport.js';
export {
  DEFAULT_TIMERS,
  type DialogInfo,
  type RequestContext,
  type ResponseSpec,
  type SipLogger,
  type SipTimers,
  type TransactionUser,
} from './server-transactions.js';
export { getHeader, getHeaders, parseSipMessage, serializeSipMessage, SIP_LIMITS, type SipParseOptions } from './sip-message.js';
export type { SipHeader, SipMessage, SipRequest, SipResponse, SipParams } from './sip-types.js';
export { isSipParseError, rejectionFor, SipParseError, type SipParseErrorCode } from './sip-errors.js';
export { buildResponse, generateTag, reasonPhrase, type BuildResponseOptions } from './sip-response.js';
export { getTag, parseNameAddr, type NameAddr } from './sip-address.js';
export { parseSipUri, parseUri, unescapeUri, type SipUri } from './sip-uri.js';
export { parseCSeq, parseVia, type CSeq, type Via } from './sip-fields.js';
export { precheckRequest, PRECHECK_DEFAULTS, type PrecheckOptions } from './request-precheck.js';
export { KEEPALIVE_PONG, SipStreamFramer, type FrameEvent } from './stream-framer.js';
export { parseContentType, parseMultipart, type BodyPart } from './multipart.js';
export {
  negotiateOffer,
  NoAcceptableCodecError,
  SdpError,
  updateForReoffer,
  type NegotiatedCodec,
  type NegotiatedStream,
  type OfferAnswerResult,
} from './sdp-offer-answer.js';
export {
  assignChannels,
  emptyMetadata,
  MetadataError,
  mergePartial,
  parseRecordingMetadata,
  type ChannelAssignment,
  type RecordingMetadata,
} from './rs-metadata.js';
export { parseSiprecInvite, type SiprecBody } from './siprec-body.js';
export { createChallenge, verifyAuthorization, type DigestVerdict } from './digest-auth.js';
