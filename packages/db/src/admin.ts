/** Creating and dropping whole databases (dev, tests, the migrate command). */
import pg from 'pg';

function split(url: string): { name: string; adminUrl: string } {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.slice(1));
  if (!name) throw new Error('the database URL names no database');
  parsed.pathname = '/postgres';
  return { name, adminUrl: parsed.toString() };
}

async function withAdmin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates the database `url` names unless it exists; true when it was created. */
export function ensureDatabase(url: string): Promise<boolean> {
  const { name, adminUrl } = split(url);
  return withAdmin(adminUrl, async (c) => {
    const found = await c.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return false;
    await c.query(`create database ${c.escapeIdentifier(name)}`);
    return true;
  });
}

/** Drops the database `url` names, ending its sessions first. */
export async function dropDatabase(url: string): Promise<void> {
  const { name, adminUrl } = split(url);
  await withAdmin(adminUrl, (c) =>
    c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`),
  );
}
