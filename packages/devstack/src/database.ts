import { createDb, ensureDatabase, migrateToLatest } from '@po/db';

/** Creates the database named in `url` if it does not exist, then migrates it. */
export async function prepareDatabase(url: string): Promise<void> {
  await ensureDatabase(url);
  const { db, close } = createDb({ connectionString: url, max: 1, applicationName: 'po-migrate' });
  try {
    await migrateToLatest(db);
  } finally {
    await close();
  }
}
