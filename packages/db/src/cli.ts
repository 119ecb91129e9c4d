/**
 * `node packages/db/src/cli.ts migrate | create-db | wait`, configured by DATABASE_URL. `wait`
 * returns once every migration this code knows is applied (the services' init container: a new
 * version starts only after the migration Job has run), polling every 2 s for MIGRATION_WAIT_SECONDS
 * (default 600), then fails.
 */
import { ensureDatabase } from './admin.ts';
import { createDb } from './client.ts';
import { migrateToLatest, pendingMigrations } from './migrate.ts';

async function migrate(url: string): Promise<void> {
  const { db, close } = createDb({ connectionString: url, max: 1, applicationName: 'po-migrate' });
  try {
    const applied = await migrateToLatest(db);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
  } finally {
    await close();
  }
}

async function waitForMigrations(url: string, seconds: number): Promise<void> {
  const { db, close } = createDb({ connectionString: url, max: 1, applicationName: 'po-migrate-wait' });
  const deadline = Date.now() + seconds * 1000;
  try {
    for (;;) {
      let pending: string[] | string;
      try {
        pending = await pendingMigrations(db);
      } catch (err) {
        pending = err instanceof Error ? err.message : String(err);
      }
      if (Array.isArray(pending) && pending.length === 0) {
        console.log('schema is current');
        return;
      }
      if (Date.now() > deadline) throw new Error(`migrations not applied after ${seconds} s: ${pending}`);
      console.log(`waiting for migrations: ${pending}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
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
  else if (command === 'wait')
    await waitForMigrations(url, Number(process.env.MIGRATION_WAIT_SECONDS ?? 600));
  else if (command === 'create-db') {
    const name = new URL(url).pathname.slice(1);
    console.log((await ensureDatabase(url)) ? `database ${name} created` : `database ${name} exists`);
  } else {
    console.error('usage: cli.ts migrate | create-db | wait');
    process.exit(2);
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
