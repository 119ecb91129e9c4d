/** Test support: a private subject prefix with provisioned streams, removed on close(). */
import { randomBytes, randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { type PipelineQueued, type Streams, type Subjects, streams, subjects } from '@po/contracts';
import { waitFor as poll } from '@po/testkit';
import type { BusMetrics } from './metrics.ts';
import { connectNats } from './nats.ts';
import { deleteStreams, type ProvisionOptions, provision } from './provision.ts';

export interface TestBus {
  nc: NatsConnection;
  prefix: string;
  subjects: Subjects;
  streams: Streams;
  close(): Promise<void>;
}

export async function createTestBus(
  opts: ProvisionOptions & { servers?: string; provision?: boolean } = {},
): Promise<TestBus> {
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const nc = await connectNats({ servers: opts.servers ?? '127.0.0.1:4222', name: `test-${prefix}` });
  if (opts.provision !== false) await provision(nc, prefix, opts);
  return {
    nc,
    prefix,
    subjects: subjects(prefix),
    streams: streams(prefix),
    close: async () => {
      await deleteStreams(nc, prefix);
      await nc.close();
    },
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
/** The bus tests' argument order (check first); the polling itself is @po/testkit's. */
export function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  return poll(what, check, timeoutMs);
}

/** A valid PipelineQueued envelope with the given message id (a fresh one by default). */
export function queuedMessage(id: string = `msg-${randomBytes(6).toString('hex')}`): PipelineQueued {
  return {
    id,
    type: 'pipeline.queued',
    version: 1,
    occurredAt: new Date().toISOString(),
    pipelineId: randomUUID(),
    attempt: 1,
    data: { priority: 'Normal' },
  };
}

/** Records what a BusMetrics hook was told. */
export function recordingMetrics(): BusMetrics & {
  deadLetteredSubjects: string[];
  publishedSubjects: string[];
} {
  const deadLetteredSubjects: string[] = [];
  const publishedSubjects: string[] = [];
  return {
    deadLetteredSubjects,
    publishedSubjects,
    deadLettered: (s) => void deadLetteredSubjects.push(s),
    published: (s) => void publishedSubjects.push(s),
  };
}
