/**
 * The system under test. The bench scripts are always this checkout's; the packages they start and
 * call (devstack's services, the database schema and queries, the bus topology) come from
 * PO_SUT_ROOT when it is set — another ref's worktree, `pnpm install`ed — so `bench/compare.sh`
 * can run today's bench against an older ref. Unset: this checkout.
 * kube-sim is not part of the system under test: it is always this checkout's (it counts requests).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const SUT_ROOT = process.env.PO_SUT_ROOT ?? fileURLToPath(new URL('../../', import.meta.url));

const load = async <T>(path: string): Promise<T> =>
  (await import(pathToFileURL(join(SUT_ROOT, path)).href)) as T;

export const devstack = await load<typeof import('@po/devstack')>('packages/devstack/src/index.ts');
export const db = await load<typeof import('@po/db')>('packages/db/src/index.ts');
export const bus = await load<typeof import('@po/bus')>('packages/bus/src/index.ts');
/** A dependency as the SUT's package PKG resolves it (its own node_modules, its own patches). */
export const importFromSut = async <T>(pkg: string, specifier: string): Promise<T> =>
  (await import(createRequire(join(SUT_ROOT, pkg, 'package.json')).resolve(specifier))) as T;
/** The SUT's test rows; `testing` of an old ref may lack what this checkout's has. */
export const loadDbTesting = () => load<typeof import('@po/db/testing')>('packages/db/src/testing.ts');
/** The SUT's contracts (subjects, priority ranks). */
export const loadContracts = () => load<typeof import('@po/contracts')>('packages/contracts/src/index.ts');
