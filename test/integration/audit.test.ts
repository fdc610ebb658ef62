import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { backendNames } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { noise, pcmWav } from '../helpers/audio.js';
import { download, uploadAudio, waitForRecording } from '../helpers/recordings.js';
import { runCli } from '../helpers/processes.js';

describe.each(backendNames())('the audit trail on %s', (backend) => {
  let server: TestServer;
  let recordingId: string;
  beforeAll(async () => {
    server = await startTestServer(backend);
    const rec = await waitForRecording(server, (await uploadAudio(server, pcmWav(noise(8000, 3), 8000, 1))).id);
    recordingId = rec.id;
    await server.api('/recordings?page_size=5');
    await download(rec.media_urls.wav, { headers: { range: 'bytes=0-99' } });
    await server.api('/legal-holds', { method: 'POST', body: JSON.stringify({ reason: 'audit test', recording_ids: [rec.id] }), headers: { 'content-type': 'application/json' } });
    await server.app.audit.flush();
  });
  afterAll(async () => server?.close());

  it('records reads, changes, holds and signed-URL downloads with who, what, when and from where', async () => {
    const res = await server.api(`/audit-events?resource_id=${recordingId}`);
    expect(res.status).toBe(200);
    const { audit_events: events } = await res.json();
    const actions = events.map((e: any) => e.action);
    expect(actions).toContain('POST /v1/recordings/recordings');
    expect(actions).toContain('GET /v1/recordings/recordings/:recording_id');
    expect(actions).toContain('media.download');
    const read = events.find((e: any) => e.action === 'GET /v1/recordings/recordings/:recording_id');
    expect(read).toMatchObject({ actor: server.account.keyId, resource_type: 'recordings', resource_id: recordingId, ip: '127.0.0.1' });
    expect(new Date(read.at).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const dl = events.find((e: any) => e.action === 'media.download');
    expect(dl).toMatchObject({ actor: 'signed-url', details: { format: 'wav', range: 'bytes=0-99' } });
    const all = (await (await server.api('/audit-events?page_size=100')).json()).audit_events;
    expect(all.some((e: any) => e.action === 'POST /v1/recordings/legal-holds')).toBe(true);
    expect(all.some((e: any) => e.action === 'GET /v1/recordings/recordings')).toBe(true);
    // Each event names the previous one's hash.
    const bySeq = [...all].sort((a: any, b: any) => a.seq - b.seq);
    for (let i = 1; i < bySeq.length; i++) if (bySeq[i].seq === bySeq[i - 1].seq + 1) expect(bySeq[i].prev_hash).toBe(bySeq[i - 1].hash);
  });

  it('does not show one account another account\'s events', async () => {
    const other = await server.app.accounts.createAccount('other');
    const theirs = (await (await server.api('/audit-events', { key: other.apiKey })).json()).audit_events;
    expect(theirs.every((e: any) => e.resource_id !== recordingId)).toBe(true);
  });

  it('`telefonie audit verify` passes on the intact chain and reports the first edited or deleted event', async () => {
    const env = server.backend.env;
    const ok = await runCli(['audit', 'verify'], env);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout.trim())).toMatchObject({ ok: true });
    const events = JSON.parse(ok.stdout.trim()).events;
    expect(events).toBeGreaterThan(4);

    const db = server.app.auditDatabase.handle.db;
    await sql`UPDATE audit_events SET details = '{"status":200,"edited":true}' WHERE seq = 3`.execute(db);
    const edited = await runCli(['audit', 'verify'], env);
    expect(edited.code).toBe(1);
    expect(JSON.parse(edited.stdout.trim())).toMatchObject({ ok: false, seq: 3 });
    expect(JSON.parse(edited.stdout.trim()).reason).toContain('altered');

    // Removing the edited event instead leaves a gap in the numbering.
    await sql`DELETE FROM audit_events WHERE seq = 3`.execute(db);
    const deleted = await runCli(['audit', 'verify'], env);
    expect(deleted.code).toBe(1);
    expect(JSON.parse(deleted.stdout.trim())).toMatchObject({ ok: false, seq: 3 });
    expect(JSON.parse(deleted.stdout.trim()).reason).toContain('missing');
  });
});
