/** `node packages/db/src/cli.ts migrate | create-db`, configured by DATABASE_URL. */
import { ensureDatabase } from './admin.ts';
import { createDb } from './client.ts';
import { migrateToLatest } from './migrate.ts';

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
  else if (command === 'create-db') {
    const name = new URL(url).pathname.slice(1);
    console.log((await ensureDatabase(url)) ? `database ${name} created` : `database ${name} exists`);
  } else {
    console.error('usage: cli.ts migrate | create-db');
    process.exit(2);
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
