import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase } from '../../../src/storage/db/database.js';
import { migrateToLatest } from '../../../src/storage/db/migrator.js';
import { KyselyAuditRepository } from '../../../src/storage/db/audit.repo.js';
import { auditDatabaseFile, openAuditDatabase } from '../../../src/storage/db/audit-database.js';
import { AuditWriterThread } from '../../../src/storage/db/audit-writer-thread.js';
import { AuditLog, inlineAppender } from '../../../src/compliance/audit/audit-log.js';
import { packEntry, unpackEntries, type AuditEntry } from '../../../src/compliance/audit/audit-event.js';
import { verifyAuditChain } from '../../../src/compliance/audit/audit-verify.js';
import { createLogger } from '../../../src/logger.js';

const log = createLogger('silent');
const entry = (n: number): AuditEntry => ({ accountId: 'AC1', actor: 'KY1', action: `GET /thing/${n}`, resourceType: 'things', resourceId: `TH${n}`, ip: '127.0.0.1', details: { status: 200, n } });
const packed = (n: number) => {
  const batch: unknown[] = [];
  packEntry(batch, entry(n), Date.now());
  return batch;
};
const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-db-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A migrated main database with `count` events appended where earlier versions kept them. */
async function mainWithLegacyEvents(count: number) {
  const file = path.join(tempDir(), 'telefonie.db');
  const url = `sqlite://${file}`;
  const main = openDatabase(url);
  await migrateToLatest(main.db);
  const legacy = new KyselyAuditRepository(main.db, main.sqliteTransaction);
  const batch: unknown[] = [];
  for (let i = 1; i <= count; i++) packEntry(batch, entry(i), Date.now());
  await legacy.append(unpackEntries(batch));
  return { file, url, main, legacy };
}

describe('the audit database', () => {
  it('lives in a file beside a SQLite database, and is the main database on :memory:', () => {
    expect(auditDatabaseFile('/data/telefonie.db')).toBe('/data/telefonie.audit.db');
    expect(auditDatabaseFile('/data/store')).toBe('/data/store.audit.db');
    const memory = openDatabase('sqlite::memory:');
    const audit = openAuditDatabase(memory, 'sqlite::memory:');
    expect(audit.handle).toBe(memory);
    expect(audit.url).toBeUndefined();
  });

  it('moves events written to the main file by earlier versions into its own file, numbers and hashes intact', async () => {
    const { file, url, main } = await mainWithLegacyEvents(7);
    const audit = openAuditDatabase(main, url);
    const repo = new KyselyAuditRepository(audit.handle.db, audit.handle.sqliteTransaction);
    expect(await verifyAuditChain(repo)).toEqual({ ok: true, events: 7 });
    expect((await sql<{ n: number }>`SELECT count(*) AS n FROM audit_events`.execute(main.db)).rows[0].n).toBe(0);
    expect(fs.existsSync(auditDatabaseFile(file))).toBe(true);
    // New events continue the moved chain.
    await inlineAppender(repo).append(packed(8));
    expect(await verifyAuditChain(repo)).toEqual({ ok: true, events: 8 });
    await audit.close();
    await main.close();
  });

  it('after a move interrupted between the two commits, copies nothing twice and keeps the newer head', async () => {
    const { url, main, legacy } = await mainWithLegacyEvents(5);
    const first = openAuditDatabase(main, url);
    const repo = new KyselyAuditRepository(first.handle.db, first.handle.sqliteTransaction);
    await inlineAppender(repo).append(packed(6));
    await first.close();
    // As if the main file's delete had not committed: its five events are back.
    const again = await legacy.batchAfter(0, 10);
    expect(again).toHaveLength(0);
    const moved = await repo.batchAfter(0, 5);
    for (const e of moved) {
      await sql`INSERT INTO audit_events (seq, id, at, account_id, actor, action, resource_type, resource_id, ip, details, prev_hash, hash)
        VALUES (${e.seq}, ${e.id}, ${e.at}, ${e.accountId}, ${e.actor}, ${e.action}, ${e.resourceType}, ${e.resourceId}, ${e.ip}, ${JSON.stringify(e.details)}, ${e.prevHash}, ${e.hash})`.execute(main.db);
    }
    const second = openAuditDatabase(main, url);
    const reopened = new KyselyAuditRepository(second.handle.db, second.handle.sqliteTransaction);
    expect(await verifyAuditChain(reopened)).toEqual({ ok: true, events: 6 });
    await inlineAppender(reopened).append(packed(7));
    expect(await verifyAuditChain(reopened)).toEqual({ ok: true, events: 7 });
    await second.close();
    await main.close();
  });

  it('replaces the resource index of a file made before it went by era', async () => {
    const { file, url, main } = await mainWithLegacyEvents(0);
    const first = openAuditDatabase(main, url);
    await sql`DROP INDEX audit_events_resource_by_era`.execute(first.handle.db);
    await sql`CREATE INDEX audit_events_resource ON audit_events (resource_id, seq)`.execute(first.handle.db);
    await first.close();
    const second = openAuditDatabase(main, url);
    const indexes = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events' AND sql IS NOT NULL ORDER BY name`.execute(second.handle.db);
    expect(indexes.rows.map((r) => r.name)).toEqual(['audit_events_account', 'audit_events_resource_by_era']);
    expect(fs.existsSync(auditDatabaseFile(file))).toBe(true);
    await second.close();
    await main.close();
  });
});

describe('the audit writer thread', () => {
  it('appends batches from its own connection, in order, and a flush waits until they are readable', async () => {
    const { url, main } = await mainWithLegacyEvents(0);
    const audit = openAuditDatabase(main, url);
    const repo = new KyselyAuditRepository(audit.handle.db, audit.handle.sqliteTransaction);
    const auditLog = new AuditLog(new AuditWriterThread(audit.url!, inlineAppender(repo), log), log, 100, 50);
    for (let i = 1; i <= 180; i++) auditLog.record(entry(i));
    await auditLog.flush();
    const events = await repo.batchAfter(0, 1000);
    expect(events.map((e) => e.action)).toEqual(Array.from({ length: 180 }, (_, i) => `GET /thing/${i + 1}`));
    expect(events[0]).toMatchObject({ accountId: 'AC1', actor: 'KY1', resourceType: 'things', resourceId: 'TH1', ip: '127.0.0.1', details: { status: 200, n: 1 } });
    expect(await verifyAuditChain(repo)).toEqual({ ok: true, events: 180 });
    await auditLog.close();
    await audit.close();
    await main.close();
  });

  it('when the thread cannot start, appends on the calling thread instead and loses nothing', async () => {
    const { url, main } = await mainWithLegacyEvents(0);
    const audit = openAuditDatabase(main, url);
    const repo = new KyselyAuditRepository(audit.handle.db, audit.handle.sqliteTransaction);
    // A database the thread cannot open: it exits, and the log retries on the fallback.
    const broken = new AuditWriterThread('sqlite:///dev/null/audit.db', inlineAppender(repo), log);
    const auditLog = new AuditLog(broken, log, 100, 500);
    for (let i = 1; i <= 3; i++) auditLog.record(entry(i));
    await auditLog.flush();
    expect((await repo.batchAfter(0, 10)).map((e) => e.resourceId)).toEqual(['TH1', 'TH2', 'TH3']);
    await auditLog.close();
    await audit.close();
    await main.close();
  });
});
