import type { Template } from './template.ts';

/*
 * Built-in templates. Config reaches each script only through env vars (the script reads os.environ),
 * never through argv, so no config value can change what runs. Scripts are stdlib-only, deterministic,
 * and must not contain `{{` (it would be read as a placeholder).
 *
 * backoffLimit is 0: retries are new attempts made by the scheduler (a new Job with its own name and
 * logs), so one Job is one pod.
 */

const IMAGE = 'python:3.11-slim';

const DATA_PROCESSING = `
import json, os, sys
pid = os.environ['PIPELINE_ID']
src = os.environ['INPUT_PATH']
dst = os.environ['OUTPUT_PATH']
size = int(os.environ.get('BATCH_SIZE', '1000'))
print(f'Processing data for pipeline {pid}')
if not os.path.isfile(src):
    print(f'error: input not found: {src}', file=sys.stderr)
    sys.exit(1)
total = 0
batches = 0
pending = 0
chars = 0
def flush():
    global batches, pending
    if pending:
        batches += 1
        print(f'batch {batches}: {pending} records')
        pending = 0
with open(src, encoding='utf-8', errors='replace') as f:
    for line in f:
        total += 1
        pending += 1
        chars += len(line.rstrip('\\n'))
        if pending >= size:
            flush()
flush()
if os.path.dirname(dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
with open(dst, 'w', encoding='utf-8') as out:
    json.dump(dict(pipeline_id=pid, input=src, records=total, batches=batches, batch_size=size, characters=chars), out)
    out.write('\\n')
print(f'done: {total} records')
`.trim();

const MODEL_TRAINING = `
import os
pid = os.environ['PIPELINE_ID']
path = os.environ['DATASET_PATH']
epochs = int(os.environ['EPOCHS'])
lr = float(os.environ['LEARNING_RATE'])
print(f'Training model for pipeline {pid}')
if os.path.isfile(path):
    with open(path, 'rb') as f:
        records = sum(1 for _ in f)
    print(f'dataset: {records} records from {path}')
else:
    print(f'dataset: {path} not found, using a synthetic dataset')
loss = 1.0
for epoch in range(1, epochs + 1):
    loss = loss * (1.0 - min(lr, 0.5))
    print(f'epoch {epoch}/{epochs}: loss={loss:.6f}')
print(f'done: final loss {loss:.6f}')
`.trim();

const ETL = `
import os, sys
pid = os.environ['PIPELINE_ID']
src = os.environ['SOURCE']
dst = os.environ['DESTINATION']
transform = os.environ.get('TRANSFORM', 'none')
print(f'ETL for pipeline {pid}: {src} -> {dst} (transform={transform})')
if not os.path.isfile(src):
    print(f'error: source not found: {src}', file=sys.stderr)
    sys.exit(1)
ops = dict(none=lambda s: s, uppercase=str.upper, lowercase=str.lower, strip=str.strip)
op = ops[transform]
with open(src, encoding='utf-8', errors='replace') as f:
    rows = [line.rstrip('\\n') for line in f]
print(f'extracted {len(rows)} rows')
rows = [op(r) for r in rows]
print(f'transformed {len(rows)} rows')
if os.path.dirname(dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
with open(dst, 'w', encoding='utf-8') as out:
    for r in rows:
        out.write(r + '\\n')
print(f'done: loaded {len(rows)} rows')
`.trim();

const BACKUP = `
import gzip, os, shutil, sys
pid = os.environ['PIPELINE_ID']
src = os.environ['SOURCE_PATH']
dst = os.environ['DESTINATION_PATH']
compress = os.environ.get('COMPRESS', 'true') == 'true'
print(f'Backup for pipeline {pid}: {src} -> {dst} (compress={compress})')
if not os.path.exists(src):
    print(f'error: source not found: {src}', file=sys.stderr)
    sys.exit(1)
if os.path.dirname(dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
if os.path.isdir(src):
    if compress:
        dst = shutil.make_archive(dst, 'gztar', root_dir=src)
    else:
        shutil.copytree(src, dst, dirs_exist_ok=True)
elif compress:
    with open(src, 'rb') as fin, gzip.GzipFile(dst, 'wb', mtime=0) as fout:
        shutil.copyfileobj(fin, fout)
else:
    shutil.copy2(src, dst)
print(f'done: backup written to {dst}')
`.trim();

// A NUL byte cannot travel in an env var; everything else is passed through as data.
const PATH_PROP = { type: 'string', minLength: 1, maxLength: 4096, pattern: '^[^\\u0000]+$' } as const;

export function builtinTemplates(): Template[] {
  return [
    {
      name: 'data-processing',
      version: 1,
      description: 'Generic data processing pipeline: reads a text file in batches and writes a summary',
      image: IMAGE,
      command: ['python3', '-c'],
      args: [DATA_PROCESSING],
      env: { INPUT_PATH: '{{input_path}}', OUTPUT_PATH: '{{output_path}}', BATCH_SIZE: '{{batch_size}}' },
      resources: { cpu_request: '100m', memory_request: '256Mi', cpu_limit: '500m', memory_limit: '1Gi' },
      configSchema: {
        type: 'object',
        properties: {
          input_path: { ...PATH_PROP, description: 'text file to process' },
          output_path: { ...PATH_PROP, description: 'where the summary is written' },
          batch_size: { type: 'integer', default: 1000, minimum: 1, maximum: 1_000_000 },
        },
        required: ['input_path', 'output_path'],
        additionalProperties: false,
      },
      backoffLimit: 0,
      defaultTimeoutSeconds: 3600,
    },
    {
      name: 'model-training',
      version: 1,
      description: 'Model training pipeline: runs a number of epochs over a dataset and reports the loss',
      image: IMAGE,
      command: ['python3', '-c'],
      args: [MODEL_TRAINING],
      env: { DATASET_PATH: '{{dataset_path}}', EPOCHS: '{{epochs}}', LEARNING_RATE: '{{learning_rate}}' },
      resources: { cpu_request: '500m', memory_request: '1Gi', cpu_limit: '2', memory_limit: '4Gi' },
      configSchema: {
        type: 'object',
        properties: {
          dataset_path: { ...PATH_PROP, description: 'training data' },
          epochs: { type: 'integer', default: 3, minimum: 1, maximum: 1000 },
          learning_rate: { type: 'number', default: 0.01, minimum: 0, maximum: 1 },
        },
        required: ['dataset_path'],
        additionalProperties: false,
      },
      backoffLimit: 0,
      defaultTimeoutSeconds: 7200,
    },
    {
      name: 'etl',
      version: 1,
      description:
        'Extract-transform-load: copies rows from a source file to a destination, transforming each',
      image: IMAGE,
      command: ['python3', '-c'],
      args: [ETL],
      env: { SOURCE: '{{source}}', DESTINATION: '{{destination}}', TRANSFORM: '{{transform}}' },
      resources: { cpu_request: '200m', memory_request: '512Mi', cpu_limit: '1', memory_limit: '2Gi' },
      configSchema: {
        type: 'object',
        properties: {
          source: { ...PATH_PROP, description: 'source file' },
          destination: { ...PATH_PROP, description: 'destination file' },
          transform: { type: 'string', enum: ['none', 'uppercase', 'lowercase', 'strip'], default: 'none' },
        },
        required: ['source', 'destination'],
        additionalProperties: false,
      },
      backoffLimit: 0,
      defaultTimeoutSeconds: 3600,
    },
    {
      name: 'backup',
      version: 1,
      description: 'Backup: copies a file or directory, optionally gzip-compressed',
      image: IMAGE,
      command: ['python3', '-c'],
      args: [BACKUP],
      env: {
        SOURCE_PATH: '{{source_path}}',
        DESTINATION_PATH: '{{destination_path}}',
        COMPRESS: '{{compress}}',
      },
      resources: { cpu_request: '100m', memory_request: '256Mi', cpu_limit: '500m', memory_limit: '1Gi' },
      configSchema: {
        type: 'object',
        properties: {
          source_path: { ...PATH_PROP, description: 'file or directory to back up' },
          destination_path: {
            ...PATH_PROP,
            description: 'backup target (a .tar.gz is added for directories)',
          },
          compress: { type: 'boolean', default: true },
        },
        required: ['source_path', 'destination_path'],
        additionalProperties: false,
      },
      backoffLimit: 0,
      defaultTimeoutSeconds: 1800,
    },
  ];
}
