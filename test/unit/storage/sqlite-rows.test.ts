import { afterEach, describe, expect, it } from 'vitest';
import { CompiledQuery } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../../../src/storage/db/database.js';

const compiled = (sql: string, parameters: unknown[] = []) => CompiledQuery.raw(sql, parameters);

describe('SQLite reads: rows built from raw column arrays', () => {
  let handle: DatabaseHandle;
  afterEach(async () => handle?.close());

  it('gives the same rows better-sqlite3 would: names, nulls, numbers, repeated names (last wins)', async () => {
    handle = openDatabase('sqlite::memory:');
    await handle.db.executeQuery(compiled('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b REAL)'));
    await handle.db.executeQuery(compiled("INSERT INTO t VALUES (1, 'one', 1.5), (2, NULL, NULL)"));
    expect(await handle.read(compiled('SELECT * FROM t ORDER BY id'))).toEqual([{ id: 1, a: 'one', b: 1.5 }, { id: 2, a: null, b: null }]);
    expect(await handle.read(compiled("SELECT 'x' AS dup, 'y' AS dup, count(*) FROM t WHERE id = ?", [1]))).toEqual([{ dup: 'y', 'count(*)': 1 }]);
    expect(await handle.read(compiled('SELECT * FROM t WHERE id = ?', [3]))).toEqual([]);
    // Kysely's path (executeQuery) reads through the same rows.
    expect((await handle.db.executeQuery(compiled('SELECT a FROM t WHERE id = ?', [1]))).rows).toEqual([{ a: 'one' }]);
  });

  it('follows a schema change under a cached SELECT *', async () => {
    handle = openDatabase('sqlite::memory:');
    await handle.db.executeQuery(compiled('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)'));
    await handle.db.executeQuery(compiled("INSERT INTO t VALUES (1, 'one')"));
    const all = compiled('SELECT * FROM t');
    expect(await handle.read(all)).toEqual([{ id: 1, a: 'one' }]);
    await handle.db.executeQuery(compiled("ALTER TABLE t ADD COLUMN c TEXT NOT NULL DEFAULT 'new'"));
    expect(await handle.read(all)).toEqual([{ id: 1, a: 'one', c: 'new' }]);
  });
});
