/** A recorded party (RFC 7865 §5.3): send/recv hold metadata stream ids. */
export interface MetadataParticipant {
  id: string;
  aor?: string;
  name?: string;
  send: string[];
  recv: string[];
  /** Vendor extension naming the calling party (Acme Packet `apkt:callingParty`), when present. */
  callingParty?: boolean;
  extensionData?: Record<string, unknown>;
}

/** A media stream of the recorded session (RFC 7865 §5.4); `label` matches an SDP a=label. */
export interface MetadataStream {
  id: string;
  label: string;
  sessionId?: string;
}

/** RFC 7865 recording metadata, reduced to what recording and search need. */
export interface RecordingMetadata {
  dataMode: 'complete' | 'partial';
  sessionIds: string[];
  /** Values of <sipSessionID> (RFC 7989 Session-ID of the recorded call). */
  sipSessionIds: string[];
  groupId?: string;
  participants: MetadataParticipant[];
  streams: MetadataStream[];
  startTime?: string;
  /** <extensiondata> and unknown elements of recording, group and session, as parsed. */
  extensionData?: Record<string, unknown>;
  /** Why parts of the document were ignored (e.g. the root is not <recording>). */
  warnings: string[];
}

/** Stable codes for metadata documents refused outright. */
export type MetadataErrorCode = 'TOO_LARGE' | 'DTD_FORBIDDEN' | 'BAD_XML';

/** Thrown by parseRecordingMetadata; callers record it and fall back to SDP order. */
export class MetadataError extends Error {
  override readonly name = 'MetadataError';
  constructor(
    readonly code: MetadataErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A metadata document with nothing in it (used when metadata is absent or unreadable). */
export function emptyMetadata(warnings: string[] = []): RecordingMetadata {
  return { dataMode: 'complete', sessionIds: [], sipSessionIds: [], participants: [], streams: [], warnings };
}
