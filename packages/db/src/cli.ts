/** `node packages/db/src/cli.ts migrate | create-db`, configured by DATABASE_URL. */
import pg from 'pg';
import { createDb } from './client.ts';
import { migrateToLatest } from './migrate.ts';

async function createDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name) throw new Error('DATABASE_URL names no database');
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) {
      console.log(`database ${name} exists`);
      return;
    }
    await client.query(`create database ${client.escapeIdentifier(name)}`);
    console.log(`database ${name} created`);
  } finally {
    await client.end();
  }
}

async function migrate(url: string): Promise<void> {
  const { db, close } = createDb({ connectionString: url, max: 1, applicationName: 'po-migrate' });
  try {
    const applied = await migrateToLatest(db);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
  } finally {
    await close();
  }
}

const url = process.env.DATABASE_URL;
const command = process.argv[2];
if (!url) {
  console.error('DATABASE_URL is required (e.g. postgres://root@127.0.0.1:5432/pipelines)');
  process.exit(2);
}
try {
  if (command === 'migrate') await migrate(url);
  else if (command === 'create-db') await createDatabase(url);
  else {
    console.error('usage: cli.ts migrate | create-db');
    process.exit(2);
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
