import type { MetadataParticipant, MetadataStream, RecordingMetadata } from './rs-metadata-types.js';

/**
 * Applies a `partial` metadata update (RFC 7865 §6, sent in re-INVITE/UPDATE) to the
 * current metadata. Elements are matched by id: known ones are updated with what the
 * update carries, new ones are appended in the update's order. A `complete` document
 * replaces everything. Limitation: an update cannot empty a send/recv list (an empty
 * association is indistinguishable from "not mentioned" once parsed).
 */
export function mergePartial(previous: RecordingMetadata, partial: RecordingMetadata): RecordingMetadata {
  if (partial.dataMode === 'complete') return partial;
  const participants = previous.participants.map((p) => ({ ...p, send: [...p.send], recv: [...p.recv] }));
  for (const upd of partial.participants) {
    const cur = participants.find((p) => p.id === upd.id);
    if (cur === undefined) {
      participants.push({ ...upd, send: [...upd.send], recv: [...upd.recv] });
      continue;
    }
    mergeParticipant(cur, upd);
  }
  const streams: MetadataStream[] = previous.streams.map((s) => ({ ...s }));
  for (const upd of partial.streams) {
    const cur = streams.find((s) => s.id === upd.id);
    if (cur === undefined) streams.push({ ...upd });
    else {
      if (upd.label !== '') cur.label = upd.label;
      if (upd.sessionId !== undefined) cur.sessionId = upd.sessionId;
    }
  }
  const merged: RecordingMetadata = {
    dataMode: previous.dataMode,
    sessionIds: union(previous.sessionIds, partial.sessionIds),
    sipSessionIds: union(previous.sipSessionIds, partial.sipSessionIds),
    participants,
    streams,
    warnings: [...previous.warnings, ...partial.warnings],
  };
  const groupId = partial.groupId ?? previous.groupId;
  if (groupId !== undefined) merged.groupId = groupId;
  const startTime = previous.startTime ?? partial.startTime;
  if (startTime !== undefined) merged.startTime = startTime;
  if (previous.extensionData !== undefined || partial.extensionData !== undefined) {
    merged.extensionData = { ...previous.extensionData, ...partial.extensionData };
  }
  return merged;
}

function mergeParticipant(cur: MetadataParticipant, upd: MetadataParticipant): void {
  if (upd.aor !== undefined) cur.aor = upd.aor;
  if (upd.name !== undefined) cur.name = upd.name;
  // A new association replaces the old one (a participant moved to other streams).
  if (upd.send.length > 0) cur.send = [...upd.send];
  if (upd.recv.length > 0) cur.recv = [...upd.recv];
  if (upd.callingParty !== undefined) cur.callingParty = upd.callingParty;
  if (upd.extensionData !== undefined) cur.extensionData = { ...cur.extensionData, ...upd.extensionData };
}

function union(a: string[], b: string[]): string[] {
  const out = [...a];
  for (const x of b) if (!out.includes(x)) out.push(x);
  return out;
}
