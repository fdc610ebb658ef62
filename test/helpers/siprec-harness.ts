/**
 * Shared pieces of the SIPREC integration suites: trunk set-up through the API, polling
 * for a call's recording, sample-exact searches in downloaded audio, and checks that a
 * refused INVITE left nothing behind (no call row, no recording, no spool directory).
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { startTestServer, type TestServer } from './test-server.js';
import type { Backend } from './backends.js';
import { buildMetadata } from './siprec-client.js';

/** Samples (and G.711 bytes) per 20 ms packet at 8 kHz. */
export const PACKET = 160;

/** Index in `haystack` where `needle` occurs exactly, or -1. */
export function findExact(haystack: Int16Array, needle: Int16Array, from = 0): number {
  outer: for (let i = from; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** True when every sample is 0. */
export function isSilent(samples: Int16Array): boolean {
  return samples.every((s) => s === 0);
}

/** Number of non-zero samples (to say how loud a span that should be silent was). */
export function nonZero(samples: Int16Array): number {
  let n = 0;
  for (const s of samples) if (s !== 0) n++;
  return n;
}

/** A unique id for a test call (the metadata's sipSessionID, which becomes Recording.call_id). */
export function uniqueCallId(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** Metadata of a two-party call: participant 1 sends label `a`, participant 2 label `b`. */
export function twoParties(callId: string, a = '1', b = '2'): string {
  return buildMetadata(
    [
      { aor: 'sip:alice@example.com', name: 'Alice', sends: [a] },
      { aor: 'sip:bob@example.com', name: 'Bob', sends: [b] },
    ],
    { sipSessionId: callId, labels: [a, b] },
  );
}

/** POST /sip-trunks with a JSON body; returns the response (status checked by the caller). */
export function postTrunk(server: TestServer, body: Record<string, unknown>, key?: string): Promise<Response> {
  return server.api('/sip-trunks', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, key });
}

/** Where a SIPREC suite sends its calls: the server's SIP ports and a loopback trunk's user part. */
export interface SiprecSuite {
  server: TestServer;
  sip: { host: string; udp: number; tcp: number };
  user: string;
}

/** Starts a test server with SIP listening (RTP_TIMEOUT 5 s) and a loopback trunk named after `prefix`. */
export async function startSiprecSuite(backend: Backend['name'], prefix: string): Promise<SiprecSuite> {
  const server = await startTestServer(backend, { env: { RTP_TIMEOUT: '5' } });
  const ports = server.app.ingest!.sipPorts;
  return { server, sip: { host: '127.0.0.1', udp: ports.udp!, tcp: ports.tcp! }, user: await loopbackTrunk(server, prefix) };
}

/** Creates a trunk that accepts INVITEs from loopback and returns its Request-URI user part. */
export async function loopbackTrunk(server: TestServer, prefix = 'rec'): Promise<string> {
  const user = `${prefix}-${randomBytes(4).toString('hex')}`;
  const res = await postTrunk(server, { request_uri_user: user, allowed_sources: ['127.0.0.0/8'] });
  if (res.status !== 201) throw new Error(`trunk creation failed: ${res.status} ${await res.text()}`);
  return user;
}

/** The newest recording of a call (by call_id), waiting for it to appear. */
export async function recordingOfCall(server: TestServer, callId: string, timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await (await server.api(`/recordings?call_id=${encodeURIComponent(callId)}`)).json();
    if (list.total > 0) return list.recordings[0];
    if (Date.now() > deadline) throw new Error(`no recording for call ${callId}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every recording of a call id in the test account (any status). */
export async function recordingsOfCall(server: TestServer, callId: string): Promise<any[]> {
  const list = await (await server.api(`/recordings?call_id=${encodeURIComponent(callId)}&page_size=100`)).json();
  return list.recordings;
}

/** Per-recording spool directories left under the spool root (the root itself may exist). */
export function spoolEntries(spoolRoot: string): string[] {
  try {
    return fs.readdirSync(spoolRoot);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** What the service has stored, across every account: calls and recordings rows, spool directories. */
export async function storedState(server: TestServer): Promise<{ calls: number; recordings: number; spool: string[] }> {
  const db = server.app.database.db;
  const calls = await db.selectFrom('calls').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
  const recordings = await db.selectFrom('recordings').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
  return { calls: Number(calls.n), recordings: Number(recordings.n), spool: spoolEntries(server.app.config.spoolDir) };
}

/** Waits until `check` returns true (polling), or throws with `what`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Closes a test server a moment after the last download: a response whose last bytes the
 * client already has may still be waiting on its final file read, and a connection that
 * becomes idle only after close() began is kept open for Fastify's 72 s keep-alive, which
 * stalls app.stop() past the hook timeout (reported; see the suites' notes).
 */
export async function closeServer(server: TestServer | undefined): Promise<void> {
  if (!server) return;
  await new Promise((r) => setTimeout(r, 250));
  await server.close();
}

/** A UDP port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}
