import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Kysely } from 'kysely';
import { FileMigrationProvider, Migrator } from 'kysely/migration';
import type { Database } from './schema.ts';

const MIGRATIONS = path.join(import.meta.dirname, 'migrations');

function migratorFor(db: Kysely<Database>): Migrator {
  return new Migrator({
    db,
    provider: new FileMigrationProvider({
      fs,
      path,
      migrationFolder: MIGRATIONS,
      import: (file) => import(pathToFileURL(file).href),
    }),
  });
}

/** Migrations this code knows that the database has not applied (empty: the schema is current). */
export async function pendingMigrations(db: Kysely<Database>): Promise<string[]> {
  const all = await migratorFor(db).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/** Applies pending migrations; returns the names applied by this call (empty when up to date). */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = migratorFor(db);
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(failed ? `migration ${failed} failed: ${message}` : `migrations failed: ${message}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
