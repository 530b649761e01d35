import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type Transaction } from 'kysely';
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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, file, sqlite };
}
