/**
 * Named (prepared) statements for the PostgreSQL store: the query config that lets each connection parse
 * and plan a statement once (postgres-store.ts, postgres-locks.ts).
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * A named (prepared) statement: each connection parses and plans it once, then sends only its name and
 * parameters. The name is the text's hash, so one text is one statement whatever calls it.
 */
const names = new Map<string, string>();
export function named(text: string, values: unknown[]): pg.QueryConfig {
  let name = names.get(text);
  if (name === undefined) {
    name = `islet_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
    names.set(text, name);
  }
  return { name, text, values };
}
