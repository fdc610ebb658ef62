import { XMLParser } from 'fast-xml-parser';
import { emptyMetadata, MetadataError, type MetadataParticipant, type MetadataStream, type RecordingMetadata } from './rs-metadata-types.js';

export * from './rs-metadata-types.js';
export { mergePartial } from './rs-metadata-merge.js';
export { assignChannels, type ChannelAssignment } from './rs-metadata-channels.js';

/*
 * RFC 7865 recording metadata, as SIPREC equipment really sends it.
 *
 * Parsing: fast-xml-parser with processEntities off and any <!DOCTYPE or <!ENTITY refused
 * before parsing (no entity is ever expanded); only the five predefined entities and
 * numeric references are decoded in text. Namespace prefixes are removed, so
 * urn:ietf:params:xml:ns:recording:1, the legacy urn:ietf:params:xml:ns:recording and
 * prefixes such as tns: all read the same; element names match case-insensitively
 * (dataMode/datamode); elements may come in any order; id attributes may be the RFC's
 * participant_id/stream_id/session_id/group_id or the draft's id/session.
 *
 * Channel rule (assignChannels, in rs-metadata-channels.ts), applied to the accepted
 * SDP streams only (rejected m= lines never get a channel):
 *  1. Join: an SDP stream belongs to the metadata <stream> whose <label> equals its a=label.
 *  2. Caller: the participant a vendor extension marks as calling party when exactly one
 *     is marked (Acme `callingParty=true`); otherwise the FIRST <participant> in document order.
 *  3. Channel 1 = every SDP stream whose metadata stream the caller sends (send lists from
 *     <participantstreamassoc> or, draft form, <send> inside <participant>); channel 2 =
 *     every SDP stream sent by any other participant. So the caller's voice is channel 1
 *     even when the SRC puts it on the second m= line (Sonus fixture).
 *  4. Accepted streams left unassigned (no label, unknown label, no sender) take the free
 *     channel in m= order: channel 1 if it is still empty, else channel 2.
 *  5. Fallback when no stream could be assigned by step 3 (metadata missing, unreadable,
 *     empty, or without send associations): first accepted m= line = channel 1, every
 *     later one = channel 2. channelMap then names participants by document order
 *     (source 'participant-order': an assumption) or nobody (source 'stream-order').
 *  channelMap: channel 1 -> caller, channel 2 -> first other participant (aor, name).
 *
 * Vendor fixtures (shared/fixtures/siprec-bodies) and what we extract:
 * | fixture                  | metadata read                                                    | channels (m= index -> ch)   |
 * |--------------------------|------------------------------------------------------------------|-----------------------------|
 * | acme-siprec-offer        | legacy ns, id= attrs, draft <send> in participant, callingParty  | 0->1 (9000), 1->2 (1002)    |
 * | broadworks-offer-2       | dataMode camel-case, participantstreamassoc send                 | 0->1, 1->2 (labels 10/20)   |
 * | broadworks-offer         | part type "application/ +xml", XML lost its tags: empty+warning  | fallback: 0->1 (one stream) |
 * | cisco-siprec-offer       | sipSessionID, start-time, send+recv assoc, extra gtd part        | 0->1 (7301), 1->2 (7300)    |
 * | connectel-offer 1/2/3    | participants and labels but no send associations                 | fallback 0->1, 1->2 (order) |
 * | inactive-sdp-offer       | empty participantstreamassoc; SDP a=inactive (answer inactive)   | fallback 0->1, 1->2 (order) |
 * | procomm-siprec-offer     | rs-metadata without +xml, attributes across lines, no close delim| 0->1 (a_leg), 1->2 (b_leg)  |
 * | sonus-siprec-offer       | tns: prefix, legacy ns, group+callData, caller sends label 2     | 1->1 (Ext 8500), 0->2       |
 * | non-siprec-payload       | plain SDP, no metadata                                           | fallback 0->1               |
 */

/** Largest metadata document accepted, in bytes. */
export const MAX_METADATA_BYTES = 256 * 1024;

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Every element is an array, so repeated and single elements read the same way.
  isArray: (_name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute,
});

/** Parses rs-metadata XML; throws MetadataError for oversize, DTD/entity declarations or unparseable XML. */
export function parseRecordingMetadata(xml: string | Buffer): RecordingMetadata {
  const size = typeof xml === 'string' ? Buffer.byteLength(xml) : xml.length;
  if (size > MAX_METADATA_BYTES) throw new MetadataError('TOO_LARGE', `metadata of ${size} bytes exceeds ${MAX_METADATA_BYTES}`);
  const text = typeof xml === 'string' ? xml : xml.toString('utf8');
  const lower = text.toLowerCase();
  if (lower.includes('<!doctype') || lower.includes('<!entity')) {
    throw new MetadataError('DTD_FORBIDDEN', 'DOCTYPE/ENTITY declarations are not accepted in metadata');
  }
  let doc: XmlNode;
  try {
    doc = parser.parse(text) as XmlNode;
  } catch (err) {
    throw new MetadataError('BAD_XML', `metadata is not well-formed XML: ${(err as Error).message}`);
  }
  const root = children(doc, 'recording')[0];
  if (root === undefined) {
    const names = Object.keys(doc).filter((k) => k.length > 0);
    return emptyMetadata([`root element is ${names[0] ? `<${names[0]}>` : 'missing'}, not <recording>: metadata ignored`]);
  }
  return readRecording(root);
}

function readRecording(root: XmlNode): RecordingMetadata {
  const md = emptyMetadata();
  md.dataMode = text(children(root, 'datamode')[0]) === 'partial' ? 'partial' : 'complete';
  const ext: Record<string, unknown> = {};
  for (const g of children(root, 'group')) {
    md.groupId ??= attr(g, 'group_id') ?? attr(g, 'id');
    collectUnknown(g, ['associate-time', 'disassociate-time'], ext);
  }
  for (const s of children(root, 'session')) {
    const id = attr(s, 'session_id') ?? attr(s, 'id');
    if (id !== undefined && !md.sessionIds.includes(id)) md.sessionIds.push(id);
    for (const sid of children(s, 'sipsessionid')) pushText(md.sipSessionIds, sid);
    md.startTime ??= text(children(s, 'start-time')[0]);
    md.groupId ??= text(children(s, 'group-ref')[0]);
    for (const e of children(s, 'extensiondata')) Object.assign(ext, e);
  }
  for (const e of children(root, 'extensiondata')) Object.assign(ext, e);
  if (Object.keys(ext).length > 0) md.extensionData = ext;
  const byId = new Map<string, MetadataParticipant>();
  for (const p of children(root, 'participant')) {
    const id = attr(p, 'participant_id') ?? attr(p, 'id');
    if (id === undefined) continue;
    const part = readParticipant(id, p);
    byId.set(id, part);
    md.participants.push(part);
  }
  for (const a of children(root, 'participantstreamassoc')) {
    const part = byId.get(attr(a, 'participant_id') ?? attr(a, 'id') ?? '');
    if (part === undefined) continue;
    for (const s of children(a, 'send')) pushText(part.send, s);
    for (const r of children(a, 'recv')) pushText(part.recv, r);
  }
  for (const s of children(root, 'stream')) {
    const id = attr(s, 'stream_id') ?? attr(s, 'id');
    if (id === undefined) continue;
    const stream: MetadataStream = { id, label: text(children(s, 'label')[0]) ?? '' };
    const sessionId = attr(s, 'session_id') ?? attr(s, 'session');
    if (sessionId !== undefined) stream.sessionId = sessionId;
    md.streams.push(stream);
  }
  return md;
}

function readParticipant(id: string, p: XmlNode): MetadataParticipant {
  const part: MetadataParticipant = { id, send: [], recv: [] };
  const nameId = children(p, 'nameid')[0];
  const aor = (nameId && attr(nameId, 'aor')) ?? text(children(p, 'aor')[0]);
  if (aor !== undefined && aor.length > 0) part.aor = aor;
  const name = text(children(nameId ?? {}, 'name')[0]) ?? text(children(p, 'name')[0]);
  if (name !== undefined && name.length > 0) part.name = name;
  // Draft form (and Acme): <send>/<recv> directly inside <participant>.
  for (const s of children(p, 'send')) pushText(part.send, s);
  for (const r of children(p, 'recv')) pushText(part.recv, r);
  const ext: Record<string, unknown> = {};
  for (const e of children(p, 'extensiondata')) Object.assign(ext, e);
  if (Object.keys(ext).length > 0) {
    part.extensionData = ext;
    const calling = text(children(ext, 'callingparty')[0]);
    if (calling !== undefined) part.callingParty = calling.toLowerCase() === 'true';
  }
  return part;
}

// Element children by local name, case-insensitively (removeNSPrefix already dropped prefixes).
function children(node: XmlNode | undefined, name: string): XmlNode[] {
  if (node === undefined || typeof node !== 'object') return [];
  const out: XmlNode[] = [];
  for (const key of Object.keys(node)) {
    if (key.startsWith('@_') || key.toLowerCase() !== name) continue;
    const v = node[key];
    for (const item of Array.isArray(v) ? v : [v]) out.push(typeof item === 'object' && item !== null ? (item as XmlNode) : { '#text': item });
  }
  return out;
}

function attr(node: XmlNode, name: string): string | undefined {
  const v = node[`@_${name}`];
  return typeof v === 'string' && v.trim().length > 0 ? decodeXmlText(v.trim()) : undefined;
}

function text(node: XmlNode | undefined): string | undefined {
  const v = node?.['#text'];
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const t = decodeXmlText(String(v).trim());
  return t.length > 0 ? t : undefined;
}

function pushText(list: string[], node: XmlNode): void {
  const t = text(node);
  if (t !== undefined && !list.includes(t)) list.push(t);
}

function collectUnknown(node: XmlNode, known: string[], into: Record<string, unknown>): void {
  for (const key of Object.keys(node)) {
    if (!key.startsWith('@_') && !known.includes(key.toLowerCase())) into[key] = node[key];
  }
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes the XML predefined entities and numeric references; anything else stays literal. */
export function decodeXmlText(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);/g, (whole, ref: string) => {
    if (ref[0] !== '#') return NAMED[ref] ?? whole;
    const cp = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
  });
}
