// coordination.k8s.io/v1 Lease: the API server's decoding of MicroTime fields and its validation
// (pkg/apis/coordination/validation): leaseDurationSeconds > 0, leaseTransitions >= 0, a DNS
// subdomain name; holderIdentity is any string. Leases have no status subresource.
import { validateName } from './admission.ts';
import { ApiError, type StatusCause } from './status.ts';
import type { KubeObject } from './types.ts';
import { isRecord } from './types.ts';

const MICRO_TIME_LAYOUT = '2006-01-02T15:04:05.000000Z07:00';
/** RFC 3339 with exactly six fractional digits, as Go's time.Parse(RFC3339Micro) accepts. */
const MICRO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})(Z|[+-]\d{2}:\d{2})$/;
const TIME_FIELDS = ['acquireTime', 'renewTime'] as const;
const INT32_FIELDS = ['leaseDurationSeconds', 'leaseTransitions'] as const;
const STRING_FIELDS = ['holderIdentity', 'strategy', 'preferredHolder'] as const;

function undecodable(detail: string): ApiError {
  return new ApiError(400, 'BadRequest', `Lease in version "v1" cannot be handled as a Lease: ${detail}`);
}

/** A MicroTime as the server stores and serves it: UTC, microseconds. */
export function parseMicroTime(value: string): string | undefined {
  const m = MICRO_TIME.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, micro, zone] = m;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  return `${new Date(ms).toISOString().slice(0, 19)}.${micro}Z`;
}

/**
 * Decodes a Lease body's spec as the real server's JSON decoder does: wrong types and MicroTimes
 * without exactly six fractional digits are a 400; times are normalised to UTC.
 */
export function decodeLease(obj: KubeObject): void {
  if (obj.spec === undefined || obj.spec === null) {
    obj.spec = {};
    return;
  }
  if (!isRecord(obj.spec)) throw undecodable('json: cannot unmarshal into Go struct field Lease.spec');
  const spec = obj.spec;
  for (const f of TIME_FIELDS) {
    const v = spec[f];
    if (v === undefined) continue;
    if (v === null) {
      delete spec[f];
      continue;
    }
    const parsed = typeof v === 'string' ? parseMicroTime(v) : undefined;
    if (parsed === undefined) {
      throw undecodable(
        `parsing time ${JSON.stringify(JSON.stringify(v))} as ${JSON.stringify(JSON.stringify(MICRO_TIME_LAYOUT))}: cannot parse as "${MICRO_TIME_LAYOUT}"`,
      );
    }
    spec[f] = parsed;
  }
  for (const f of INT32_FIELDS) {
    const v = spec[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v > 2 ** 31 - 1 || v < -(2 ** 31)) {
      throw undecodable(
        `json: cannot unmarshal ${typeof v === 'number' ? 'number' : typeof v} into Go struct field LeaseSpec.spec.${f} of type int32`,
      );
    }
  }
  for (const f of STRING_FIELDS) {
    const v = spec[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') {
      throw undecodable(
        `json: cannot unmarshal ${typeof v} into Go struct field LeaseSpec.spec.${f} of type string`,
      );
    }
  }
}

export function validateLease(lease: KubeObject): StatusCause[] {
  const causes = validateName(lease, 253, false);
  const spec = isRecord(lease.spec) ? lease.spec : {};
  const duration = spec.leaseDurationSeconds;
  if (typeof duration === 'number' && duration <= 0) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${duration}: must be greater than 0`,
      field: 'spec.leaseDurationSeconds',
    });
  }
  const transitions = spec.leaseTransitions;
  if (typeof transitions === 'number' && transitions < 0) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${transitions}: must be greater than or equal to 0`,
      field: 'spec.leaseTransitions',
    });
  }
  const strategy = spec.strategy;
  if (typeof strategy === 'string' && strategy !== '' && strategy !== 'OldestEmulationVersion') {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(strategy)}: supported values: "OldestEmulationVersion"`,
      field: 'spec.strategy',
    });
  }
  if (typeof spec.preferredHolder === 'string' && spec.preferredHolder !== '' && !strategy) {
    causes.push({
      reason: 'FieldValueForbidden',
      message: 'Forbidden: may only be specified if `strategy` is defined',
      field: 'spec.preferredHolder',
    });
  }
  return causes;
}
