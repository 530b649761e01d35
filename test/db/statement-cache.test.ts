import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withStatementCache } from '../../src/db/database.ts';

/** The prepared-statement cache behind Kysely (src/db/database.ts): reuse, its bound, and the cases where a statement must not be reused. */
describe('prepared statement cache', () => {
  let sqlite: SQLite.Database;
  beforeEach(() => {
    sqlite = new SQLite(':memory:');
    sqlite.exec("create table t (id integer primary key, name text); insert into t (name) values ('a'), ('b'), ('c')");
  });
  afterEach(() => sqlite.close());

  it('prepares a query once and reuses the statement', () => {
    const cached = withStatementCache(sqlite);
    const first = cached.prepare('select name from t where id = ?');
    expect(cached.prepare('select name from t where id = ?')).toBe(first);
    expect(cached.prepare('select name from t where id = ?').all([2])).toEqual([{ name: 'b' }]);
  });

  it('keeps at most `size` statements, dropping the least recently used', () => {
    const cached = withStatementCache(sqlite, 2);
    const a = cached.prepare('select 1');
    const b = cached.prepare('select 2');
    expect(cached.prepare('select 1')).toBe(a); // a is now the most recent
    cached.prepare('select 3'); // evicts b
    expect(cached.prepare('select 1')).toBe(a);
    expect(cached.prepare('select 2')).not.toBe(b);
  });

  it('gives a query its own statement while the cached one is still iterating', () => {
    const cached = withStatementCache(sqlite);
    const iterating = cached.prepare('select name from t order by id').iterate([]) as IterableIterator<{ name: string }>;
    expect(iterating.next().value).toEqual({ name: 'a' });
    expect(cached.prepare('select name from t order by id').all([])).toHaveLength(3);
    expect([...iterating].map((r) => r.name)).toEqual(['b', 'c']);
  });

  it('through Kysely: results follow the data and the schema after a statement was cached', async () => {
    const db = new Kysely<{ t: { id: number; name: string; note?: string | null } }>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    const all = () => db.selectFrom('t').selectAll().orderBy('id').execute();
    expect(await all()).toHaveLength(3);
    await db.insertInto('t').values({ id: 4, name: 'd' }).execute();
    expect((await all()).map((r) => r.name)).toEqual(['a', 'b', 'c', 'd']);
    await sql`alter table t add column note text`.execute(db);
    expect((await all())[0]).toEqual({ id: 1, name: 'a', note: null });
  });
});
