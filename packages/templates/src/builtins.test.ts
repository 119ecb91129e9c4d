import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { builtinTemplates } from './builtins.ts';
import { renderJob } from './render.ts';
import { validateConfig } from './validate.ts';

const PID = '5d1c3e2a-0000-4000-8000-00000000abcd';
const dir = mkdtempSync(join(tmpdir(), 'po-templates-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a built-in exactly as kube-sim's kubelet would: command + args as a local process, env from the render. */
function run(name: string, config: Record<string, unknown>) {
  const t = builtinTemplates().find((b) => b.name === name);
  assert.ok(t, name);
  const v = validateConfig(t, config);
  assert.ok(v.ok, v.ok ? '' : v.message);
  const job = renderJob(t, { pipelineId: PID, config: v.config });
  const [exe, ...rest] = job.command;
  assert.ok(exe);
  const r = spawnSync(exe, [...rest, ...job.args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...job.env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('built-in templates run as local processes', () => {
  it('data-processing processes lines in batches and writes a summary', () => {
    const input = join(dir, 'dp-in.txt');
    writeFileSync(input, Array.from({ length: 2500 }, (_, i) => `row ${i}`).join('\n'));
    const output = join(dir, 'out', 'summary.json');
    const r = run('data-processing', { input_path: input, output_path: output });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      `Processing data for pipeline ${PID}`,
      'batch 1: 1000 records',
      'batch 2: 1000 records',
      'batch 3: 500 records',
      'done: 2500 records',
    ]);
    const summary = JSON.parse(readFileSync(output, 'utf8'));
    assert.equal(summary.records, 2500);
    assert.equal(summary.batches, 3);
    assert.equal(summary.pipeline_id, PID);
  });

  it('data-processing fails with exit 1 when the input is missing', () => {
    const missing = join(dir, 'nope.txt');
    const r = run('data-processing', { input_path: missing, output_path: join(dir, 'x.json') });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), `error: input not found: ${missing}`);
    assert.match(r.stdout, /Processing data for pipeline/);
  });

  it('data-processing treats a hostile path as data', () => {
    const hostile = join(dir, `a'"; $(touch ${join(dir, 'pwned')}) \`id\``);
    const r = run('data-processing', {
      input_path: hostile,
      output_path: join(dir, 'y.json'),
      batch_size: 1,
    });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), `error: input not found: ${hostile}`);
    assert.equal(existsSync(join(dir, 'pwned')), false);
  });

  it('model-training prints per-epoch loss and exits 0', () => {
    const r = run('model-training', { dataset_path: join(dir, 'no-dataset'), epochs: 4, learning_rate: 0.1 });
    assert.equal(r.code, 0, r.stderr);
    const epochs = r.stdout.split('\n').filter((l) => l.startsWith('epoch '));
    assert.deepEqual(epochs, [
      'epoch 1/4: loss=0.900000',
      'epoch 2/4: loss=0.810000',
      'epoch 3/4: loss=0.729000',
      'epoch 4/4: loss=0.656100',
    ]);
    assert.match(r.stdout, /done: final loss 0\.656100/);
  });

  it('etl transforms rows into the destination', () => {
    const src = join(dir, 'etl-in.txt');
    writeFileSync(src, 'a\nB\nc\n');
    const dst = join(dir, 'etl', 'out.txt');
    const r = run('etl', { source: src, destination: dst, transform: 'uppercase' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(dst, 'utf8'), 'A\nB\nC\n');
    assert.match(r.stdout, /done: loaded 3 rows/);
  });

  it('etl fails when the source is missing', () => {
    const r = run('etl', { source: join(dir, 'missing'), destination: join(dir, 'z') });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: source not found: /);
  });

  it('backup compresses a file and copies a directory', () => {
    const src = join(dir, 'b-src.txt');
    writeFileSync(src, 'hello backup');
    const gz = join(dir, 'b-out', 'file.gz');
    const r1 = run('backup', { source_path: src, destination_path: gz });
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(gunzipSync(readFileSync(gz)).toString('utf8'), 'hello backup');

    const srcDir = join(dir, 'b-dir');
    mkdirSync(srcDir);
    writeFileSync(join(srcDir, 'f.txt'), 'in dir');
    const copy = join(dir, 'b-copy');
    const r2 = run('backup', { source_path: srcDir, destination_path: copy, compress: false });
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(readFileSync(join(copy, 'f.txt'), 'utf8'), 'in dir');

    const r3 = run('backup', { source_path: srcDir, destination_path: join(dir, 'b-archive') });
    assert.equal(r3.code, 0, r3.stderr);
    assert.ok(existsSync(join(dir, 'b-archive.tar.gz')));
  });

  it('backup fails when the source is missing', () => {
    const r = run('backup', { source_path: join(dir, 'missing'), destination_path: join(dir, 'q') });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: source not found: /);
  });
});
