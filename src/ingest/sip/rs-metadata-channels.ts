import type { MetadataParticipant, RecordingMetadata } from './rs-metadata-types.js';

/** The SDP stream fields channel assignment uses (a NegotiatedStream fits). */
export interface ChannelStream {
  index: number;
  label?: string;
  rejected: boolean;
}

/** Which recording channel each accepted SDP stream feeds, and who is on each channel. */
export interface ChannelAssignment {
  /** m= line index -> channel; rejected streams are absent. */
  streamChannels: Record<number, 1 | 2>;
  channelMap: Array<{ channel: 1 | 2; participant: { id?: string; aor?: string; name?: string } }>;
  /** 'metadata': from send associations; otherwise the fallback (see rs-metadata.ts). */
  source: 'metadata' | 'participant-order' | 'stream-order';
}

/** Decides channel 1 (caller) and 2 (other party) per the rule documented in rs-metadata.ts. */
export function assignChannels(metadata: RecordingMetadata | undefined, streams: ChannelStream[]): ChannelAssignment {
  const accepted = streams.filter((s) => !s.rejected).sort((a, b) => a.index - b.index);
  const participants = metadata?.participants ?? [];
  const caller = pickCaller(participants);
  const callee = participants.find((p) => p !== caller);
  const streamChannels: Record<number, 1 | 2> = {};
  if (metadata !== undefined && caller !== undefined) {
    const senderOfLabel = new Map<string, MetadataParticipant>();
    for (const s of metadata.streams) {
      const sender = participants.find((p) => p.send.includes(s.id));
      if (sender !== undefined && s.label !== '' && !senderOfLabel.has(s.label)) senderOfLabel.set(s.label, sender);
    }
    for (const s of accepted) {
      const sender = s.label === undefined ? undefined : senderOfLabel.get(s.label);
      if (sender !== undefined) streamChannels[s.index] = sender === caller ? 1 : 2;
    }
  }
  const viaMetadata = Object.keys(streamChannels).length > 0;
  if (viaMetadata) {
    // Step 4: leftovers take the free channel in m= order.
    for (const s of accepted) {
      if (streamChannels[s.index] !== undefined) continue;
      streamChannels[s.index] = Object.values(streamChannels).includes(1) ? 2 : 1;
    }
  } else {
    accepted.forEach((s, i) => (streamChannels[s.index] = i === 0 ? 1 : 2));
  }
  const used = new Set(Object.values(streamChannels));
  const channelMap: ChannelAssignment['channelMap'] = [];
  const who = (p: MetadataParticipant | undefined): { id?: string; aor?: string; name?: string } => {
    if (p === undefined) return {};
    const out: { id?: string; aor?: string; name?: string } = { id: p.id };
    if (p.aor !== undefined) out.aor = p.aor;
    if (p.name !== undefined) out.name = p.name;
    return out;
  };
  if (used.has(1)) channelMap.push({ channel: 1, participant: who(caller) });
  if (used.has(2)) channelMap.push({ channel: 2, participant: who(callee) });
  const source = viaMetadata ? 'metadata' : participants.length > 0 ? 'participant-order' : 'stream-order';
  return { streamChannels, channelMap, source };
}

// Exactly one participant flagged as calling party wins; otherwise document order decides.
function pickCaller(participants: MetadataParticipant[]): MetadataParticipant | undefined {
  const flagged = participants.filter((p) => p.callingParty === true);
  return flagged.length === 1 ? flagged[0] : participants[0];
}
