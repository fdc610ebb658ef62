import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { CompiledQuery } from 'kysely';
import { preparedReader } from '../../../src/storage/db/pg-prepared.js';
import { createTestDatabase } from '../../helpers/backends.js';

const compiled = (sql: string, parameters: unknown[] = []) => CompiledQuery.raw(sql, parameters);

describe.skipIf(!process.env.TEST_DATABASE_URL)('preparedReader on PostgreSQL', () => {
  let created: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;

  beforeAll(async () => {
    created = await createTestDatabase();
    // One connection: every query meets the statements the previous ones prepared.
    pool = new pg.Pool({ connectionString: created.url, max: 1 });
    await pool.query('CREATE TABLE t (id int PRIMARY KEY, a text)');
    await pool.query("INSERT INTO t VALUES (1, 'one'), (2, 'two')");
  });
  afterAll(async () => {
    await pool.end();
    await created.drop();
  });

  it('prepares a text once per connection and reuses it with new values', async () => {
    const read = preparedReader(pool);
    expect(await read(compiled('SELECT * FROM t WHERE id = $1', [1]))).toEqual([{ id: 1, a: 'one' }]);
    expect(await read(compiled('SELECT * FROM t WHERE id = $1', [2]))).toEqual([{ id: 2, a: 'two' }]);
    const prepared = await pool.query("SELECT name, statement FROM pg_prepared_statements WHERE statement LIKE 'SELECT * FROM t%'");
    expect(prepared.rows).toHaveLength(1);
  });

  it('re-prepares once a migration changes the table under a prepared SELECT *', async () => {
    const read = preparedReader(pool);
    const byId = compiled('SELECT * FROM t WHERE id = $1 ', [1]);
    expect(await read(byId)).toEqual([{ id: 1, a: 'one' }]);
    await pool.query("ALTER TABLE t ADD COLUMN b text NOT NULL DEFAULT 'new'");
    expect(await read(byId)).toEqual([{ id: 1, a: 'one', b: 'new' }]);
    expect(await read({ ...byId, parameters: [2] })).toEqual([{ id: 2, a: 'two', b: 'new' }]);
  });

  it('runs texts beyond the bound unnamed, and still answers them', async () => {
    const read = preparedReader(pool, 1);
    expect(await read(compiled('SELECT 1 AS v'))).toEqual([{ v: 1 }]);
    expect(await read(compiled('SELECT 2 AS v'))).toEqual([{ v: 2 }]);
    const named = await pool.query("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE 'SELECT 2 AS v%'");
    expect(named.rows[0].n).toBe(0);
  });

  it('parses every column as pg itself does: numbers, bigints, dates, booleans, JSON, nulls, repeated names', async () => {
    const read = preparedReader(pool);
    const text = `SELECT 1::int AS i, 9007199254740991::bigint AS big, '2026-01-02T03:04:05Z'::timestamptz AS at, true AS yes,
      '{"a":[1]}'::jsonb AS j, NULL::text AS nothing, 'x' AS dup, 'y' AS dup, $1::text AS param`;
    const ours = await read(compiled(text, ['p']));
    const pgs = (await pool.query(text, ['p'])).rows;
    expect(ours).toEqual(pgs);
    expect(ours[0]).toMatchObject({ i: 1, big: 9007199254740991, yes: true, j: { a: [1] }, nothing: null, dup: 'y', param: 'p' });
    expect((ours[0] as { at: Date }).at.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    // The second run of the prepared text reuses the row shape and still reads the new values.
    expect(await read(compiled(text, ['q']))).toMatchObject([{ param: 'q' }]);
  });

  it('passes other errors through', async () => {
    const read = preparedReader(pool);
    await expect(read(compiled('SELECT * FROM missing_table'))).rejects.toMatchObject({ code: '42P01' });
  });
});
