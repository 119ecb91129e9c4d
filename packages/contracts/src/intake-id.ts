/**
 * The id of a pipeline submitted on the NATS submit subject: derived from (tenant, idempotency key),
 * so a publisher knows it before publishing and can subscribe to its status first. A subpath export
 * (`@po/contracts/intake-id`) because it needs node:crypto, which the rest of contracts does not.
 */
import { createHash } from 'node:crypto';

/** Fixed namespace for name-based (v5) pipeline ids of NATS submissions. */
export const INTAKE_ID_NAMESPACE = '6f1d3c2e-8a4b-5e7f-9c0d-1a2b3c4d5e6f';

/** RFC 4122 version 5 UUID of `${tenantId}/${idempotencyKey}`. */
export function intakePipelineId(tenantId: string, idempotencyKey: string): string {
  const ns = Buffer.from(INTAKE_ID_NAMESPACE.replaceAll('-', ''), 'hex');
  const h = createHash('sha1').update(ns).update(`${tenantId}/${idempotencyKey}`).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
