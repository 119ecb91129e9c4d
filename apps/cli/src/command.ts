/** One CLI command: its options (node:util parseArgs), its usage line and what it does. */
import type { ParseArgsOptionsConfig } from 'node:util';
import type { PoClient } from '@po/client';
import type { Io } from './output.ts';

export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface Ctx {
  io: Io;
  /** Made on first use, so a usage error never needs a gateway. */
  client(): PoClient;
  json: boolean;
  values: Values;
  /** Positionals after the command (and its subcommand). */
  args: string[];
}

export interface Command {
  /** `submit`, or `templates list` for a subcommand. */
  name: string;
  /** Arguments and options after the name, for the usage text. */
  usage: string;
  summary: string;
  options?: ParseArgsOptionsConfig;
  /** Positionals required (exactly this many unless `maxArgs` says more are allowed). */
  args?: number;
  maxArgs?: number;
  run(ctx: Ctx): Promise<number>;
}

export function str(v: Values[string]): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A positive whole number option, or undefined when absent. */
export function int(v: Values[string], name: string, fail: (m: string) => Error): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < 0) throw fail(`--${name}: a whole number`);
  return n;
}
