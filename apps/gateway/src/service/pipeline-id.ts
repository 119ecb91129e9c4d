/**
 * A new pipeline's id. With an idempotency key it is named by (tenant, key) — an RFC 4122 version 5
 * UUID — whichever door the request came through (HTTP `Idempotency-Key`, NATS request `idempotency_key`,
 * JetStream `Nats-Msg-Id`): one key is one pipeline, so a NATS publisher that derives the id up front
 * finds it even when the key was first used over HTTP. Without a key, a random (version 4) UUID.
 */
import { createHash, randomUUID } from 'node:crypto';

/** Fixed namespace of the name-based ids (unchanged since NATS submissions introduced them). */
export const KEYED_ID_NAMESPACE = '6f1d3c2e-8a4b-5e7f-9c0d-1a2b3c4d5e6f';

/** RFC 4122 version 5 UUID of `${tenantId}/${idempotencyKey}`. */
export function keyedPipelineId(tenantId: string, idempotencyKey: string): string {
  const ns = Buffer.from(KEYED_ID_NAMESPACE.replaceAll('-', ''), 'hex');
  const h = createHash('sha1').update(ns).update(`${tenantId}/${idempotencyKey}`).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export function newPipelineId(tenantId: string, idempotencyKey: string | undefined): string {
  return idempotencyKey === undefined ? randomUUID() : keyedPipelineId(tenantId, idempotencyKey);
}
