import { z } from 'zod';

/** `?limit=` (1–100, default 20) and `?after=<cursor>`; the cursor is the last id of the page. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1, 'limit must be from 1 to 100.').max(100, 'limit must be from 1 to 100.').default(20),
  after: z.string().regex(/^[a-z]+_[0-9A-HJKMNP-TV-Z]{26}$/, 'after must be a cursor from list_metadata.after.').optional(),
});

export type PageQuery = z.infer<typeof pageQuery>;

export interface Page<T> {
  data: T[];
  list_metadata: { after: string | null };
}

/** Callers fetch `limit + 1` rows ordered by id; the extra row only says whether a next page exists. */
export function toPage<R extends { id: string }, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  return { data: pageRows.map(map), list_metadata: { after: more ? pageRows[pageRows.length - 1]!.id : null } };
}
