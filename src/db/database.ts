import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase, type Transaction } from 'kysely';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;
/** What a repository or service takes: the database or a transaction on it. */
export type Executor = Kysely<Database>;

export interface OpenedDatabase {
  db: Db;
  /** The SQLite file, for backup. */
  file: string;
  sqlite: SQLite.Database;
}

export function sqliteFile(databaseUrl: string): string {
  return path.resolve(databaseUrl.slice('sqlite:'.length));
}

export function openDatabase(databaseUrl: string): OpenedDatabase {
  const file = sqliteFile(databaseUrl);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  // WAL: readers do not block the writer and a committed transaction survives a killed process.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // 32 MB of page cache (the default is 2 MB): index pages of large tables stay in memory.
  sqlite.pragma('cache_size = -32000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, file, sqlite };
}

/** How many prepared statements are kept (the least recently used goes first). */
export const STATEMENT_CACHE_SIZE = 1000;

/**
 * better-sqlite3 as Kysely sees it, keeping each prepared statement by its SQL text (DESIGN.md
 * Performance: prepare statements). Kysely prepares every query anew, and SQLite's parse and plan of a
 * statement is a large part of a small query's cost. Queries whose SQL differs only by the number of
 * values in an IN list are separate entries; the LRU bound keeps those from growing without end.
 */
export function withStatementCache(sqlite: SQLite.Database, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      const cached = cache.get(text);
      // A statement still iterating (Kysely's stream()) cannot run a second time: that query gets its own.
      if (cached && !cached.busy) {
        cache.delete(text);
        cache.set(text, cached);
        return cached;
      }
      const statement = sqlite.prepare(text);
      if (!cached) {
        cache.set(text, statement);
        if (cache.size > size) cache.delete(cache.keys().next().value!);
      }
      return statement;
    },
  };
}
