import fs from 'node:fs';
import path from 'node:path';

/** The SQLite file and its WAL as bytes, to prove a value never reached the disk in clear. */
export function rawDatabase(dir: string): string {
  const file = path.join(dir, 'gatehouse.db');
  const wal = `${file}-wal`;
  return fs.readFileSync(file).toString('latin1') + (fs.existsSync(wal) ? fs.readFileSync(wal).toString('latin1') : '');
}
