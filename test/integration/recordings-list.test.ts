import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { ManualClock } from '../../src/clock.js';
import { pcmWav, sine } from '../helpers/audio.js';
import { uploadAudio, waitForRecording } from '../helpers/recordings.js';
import Database from 'better-sqlite3';
import pg from 'pg';
import { sqliteFileFromUrl } from '../../src/storage/db/database.js';

/** Runs one statement on a connection of its own, as another process (a CLI command, another server) would. */
async function runElsewhere(databaseUrl: string, statement: string, params: unknown[]): Promise<void> {
  if (databaseUrl.startsWith('sqlite:')) {
    const other = new Database(sqliteFileFromUrl(databaseUrl));
    other.prepare(statement.replace(/\$\d/g, '?')).run(...params);
    other.close();
    return;
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(statement, params);
  await client.end();
}

describe.each(backendNames())('listing recordings on %s', (backend) => {
  let server: TestServer;
  const clock = new ManualClock(new Date('2026-01-01T00:00:00.000Z'));
  const ids: string[] = [];
  const created: string[] = [];
  beforeAll(async () => {
    server = await startTestServer(backend, { clock });
    const wav = pcmWav(sine(440, 0.5, 8000), 8000, 1);
    // 25 recordings one minute apart; call ids alternate between two calls; two share a timestamp.
    for (let i = 0; i < 25; i++) {
      if (i !== 13) clock.advance(60_000);
      const rec = await uploadAudio(server, wav, 'audio/wav', `?call_id=CA-list-${i % 2}`);
      ids.push(rec.id);
      created.push(rec.date_created);
    }
    for (const id of ids) await waitForRecording(server, id);
  });
  afterAll(async () => server?.close());

  it('pages newest first with a stable order and a total of all matches', async () => {
    const seen: string[] = [];
    for (let page = 1; page <= 3; page++) {
      const res = await server.api(`/recordings?page=${page}&page_size=10`);
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.total).toBe(25);
      expect(body.recordings.length).toBe(page < 3 ? 10 : 5);
      seen.push(...body.recordings.map((r: any) => r.id));
    }
    expect(new Set(seen).size).toBe(25);
    const expected = ids
      .map((id, i) => ({ id, at: created[i] }))
      .sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1))
      .map((r) => r.id);
    expect(seen).toEqual(expected);
    const past = await (await server.api('/recordings?page=4&page_size=10')).json();
    expect(past).toMatchObject({ recordings: [], total: 25 });
  });

  it('reads through the recording cache, yet shows changes made by other connections', async () => {
    const rec = await waitForRecording(server, (await uploadAudio(server, pcmWav(sine(440, 0.5, 8000), 8000, 1), 'audio/wav', '?call_id=CA-elsewhere')).id);
    // Read twice: the second answer comes from this process's cache.
    expect((await (await server.api(`/recordings/${rec.id}`)).json()).tags).toBeUndefined();
    expect((await (await server.api(`/recordings/${rec.id}`)).json()).tags).toBeUndefined();
    await runElsewhere(server.backend.env.DATABASE_URL, 'UPDATE recordings SET tags = $1 WHERE id = $2', ['["changed-elsewhere"]', rec.id]);
    // SQLite: seen on the next request (data_version). PostgreSQL: once the NOTIFY has arrived.
    const deadline = Date.now() + (backend === 'sqlite+disk' ? 0 : 2000);
    let tags = (await (await server.api(`/recordings/${rec.id}`)).json()).tags;
    while (!tags && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      tags = (await (await server.api(`/recordings/${rec.id}`)).json()).tags;
    }
    expect(tags).toEqual(['changed-elsewhere']);
    // This process's own change is seen at once, on both.
    expect((await server.api(`/recordings/${rec.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await server.api(`/recordings/${rec.id}`)).status).toBe(404);
  });

  it('lists each recording exactly as GET /recordings/{id} serves it, before and after it is cached', async () => {
    const first = await (await server.api('/recordings?call_id=CA-list-0&page_size=5')).json();
    const single = await Promise.all(first.recordings.map(async (r: any) => (await server.api(`/recordings/${r.id}`)).json()));
    expect(first.recordings).toEqual(single);
    expect(single[0].media_urls.wav).toContain(`/media/${single[0].id}.wav?`);
    const again = await server.api('/recordings?call_id=CA-list-0&page_size=5');
    expect(again.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await again.json()).toEqual({ recordings: single, total: 13, page: 1, page_size: 5 });
  });

  it('lists a recording another process inserted, on a page read before', async () => {
    const page = async () => (await (await server.api('/recordings?call_id=CA-list-0&page_size=100')).json()).recordings.map((r: any) => r.id);
    const before = await page();
    expect(await page()).toEqual(before); // now kept in the cache
    const id = `RE${'f'.repeat(32)}`;
    await runElsewhere(
      server.backend.env.DATABASE_URL,
      `INSERT INTO recordings (id, account_id, call_id, status, source, channels, sample_rate, duration_ms, date_created, date_updated, wav_key, wav_bytes, wav_sha256, mp3_key, mp3_bytes, mp3_sha256, details)
       SELECT $1, account_id, call_id, status, source, channels, sample_rate, duration_ms, '2030-01-01T00:00:00.000Z', date_updated, wav_key, wav_bytes, wav_sha256, mp3_key, mp3_bytes, mp3_sha256, details FROM recordings WHERE id = $2`,
      [id, before[0]],
    );
    // SQLite: seen on the next request (data_version). PostgreSQL: once the NOTIFY has arrived.
    const deadline = Date.now() + (backend === 'sqlite+disk' ? 0 : 2000);
    let after = await page();
    while (after[0] !== id && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      after = await page();
    }
    expect(after).toEqual([id, ...before]);
    await runElsewhere(server.backend.env.DATABASE_URL, 'DELETE FROM recordings WHERE id = $1', [id]);
  });

  it('defaults to 20 per page', async () => {
    const body = await (await server.api('/recordings')).json();
    expect(body.recordings.length).toBe(20);
    expect(body.page_size).toBe(20);
  });

  it('filters by call_id, status, source and creation time', async () => {
    const byCall = await (await server.api('/recordings?call_id=CA-list-1&page_size=100')).json();
    expect(byCall.total).toBe(12);
    expect(byCall.recordings.every((r: any) => r.call_id === 'CA-list-1')).toBe(true);
    expect((await (await server.api('/recordings?status=completed')).json()).total).toBe(25);
    expect((await (await server.api('/recordings?status=failed')).json()).total).toBe(0);
    expect((await (await server.api('/recordings?source=upload')).json()).total).toBe(25);
    expect((await (await server.api('/recordings?source=automatic')).json()).total).toBe(0);
    const after = created[10];
    const before = created[20];
    const window = await (await server.api(`/recordings?date_created_after=${encodeURIComponent(after)}&date_created_before=${encodeURIComponent(before)}&page_size=100`)).json();
    const expected = created.filter((c) => c >= after && c < before).length;
    expect(window.total).toBe(expected);
    expect(window.recordings.every((r: any) => r.date_created >= after && r.date_created < before)).toBe(true);
    const combined = await (await server.api(`/recordings?call_id=CA-list-0&date_created_after=${encodeURIComponent(after)}`)).json();
    expect(combined.recordings.every((r: any) => r.call_id === 'CA-list-0' && r.date_created >= after)).toBe(true);
  });

  it.each([
    ['status=paused', 'status'],
    ['status=COMPLETED', 'status'],
    ['page_size=101', 'page_size'],
    ['page_size=0', 'page_size'],
    ['page=0', 'page'],
    ['page=-1', 'page'],
    ['page=abc', 'page'],
    ['date_created_after=yesterday', 'date_created_after'],
  ])('rejects %s with 400 naming the parameter', async (query, parameter) => {
    const res = await server.api(`/recordings?${query}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = await res.json();
    expect(body.code).toBe('invalid_query');
    expect(body.parameter).toBe(parameter);
  });

  it('never shows one account another account\'s recordings: 404, not 403', async () => {
    const other = await server.app.accounts.createAccount('other');
    const list = await (await server.api('/recordings', { key: other.apiKey })).json();
    expect(list.total).toBe(0);
    const res = await server.api(`/recordings/${ids[0]}`, { key: other.apiKey });
    expect(res.status).toBe(404);
    expect((await server.api(`/recordings/${ids[0]}`, { method: 'DELETE', key: other.apiKey })).status).toBe(404);
    expect((await server.api(`/recordings/${ids[0]}`)).status).toBe(200);
  });

  it('answers 401 without a key, with a wrong key and with a revoked key', async () => {
    const missing = await server.api('/recordings', { key: null });
    expect(missing.status).toBe(401);
    expect((await missing.json()).code).toBe('api_key_missing');
    const wrong = await server.api('/recordings', { key: server.account.apiKey + 'x' });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).code).toBe('api_key_invalid');
    const extra = await server.app.accounts.createKey(server.account.accountId);
    expect((await server.api('/recordings', { key: extra.apiKey })).status).toBe(200);
    await server.app.accounts.revokeKey(extra.keyId);
    expect((await server.api('/recordings', { key: extra.apiKey })).status).toBe(401);
  });

  it('prices a recording by started minutes at the configured rate', async () => {
    const rec = await (await server.api(`/recordings/${ids[0]}`)).json();
    // 0.5 s → one started minute at the default 0.0005 USD.
    expect(rec).toMatchObject({ price: '0.0005', price_unit: 'USD' });
  });
});
