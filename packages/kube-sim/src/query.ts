// Query parameters as the API server decodes and validates them: booleans the way Go's parameter
// codec reads them, and the option validations of apimachinery (dryRun, resourceVersionMatch,
// propagationPolicy, fieldManager, force), each failing as a 422 on the options kind.
import { ApiError, badRequest, type StatusCause } from './status.ts';

/**
 * A boolean query parameter: absent is undefined; "0" and "false" (any case) are false; anything
 * else, even "" or "yes", is true (apimachinery's Convert_Slice_string_To_bool).
 */
export function boolParam(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  return !(v === '0' || v.toLowerCase() === 'false');
}

export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`invalid value for ${name}: ${v}`);
  return n;
}

function quoted(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

export function notSupported(field: string, value: unknown, supported: readonly string[]): StatusCause {
  return {
    reason: 'FieldValueNotSupported',
    message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${quoted(supported)}`,
    field,
  };
}

export function forbidden(field: string, detail: string): StatusCause {
  return { reason: 'FieldValueForbidden', message: `Forbidden: ${detail}`, field };
}

export function requiredCause(field: string, detail: string): StatusCause {
  return { reason: 'FieldValueRequired', message: `Required value: ${detail}`, field };
}

/** 422 on an options kind (CreateOptions, ListOptions…), named "" like the real server's. */
export function invalidOptions(kind: string, causes: StatusCause[]): ApiError {
  // errs.ToAggregate() drops repeated messages.
  const parts = [...new Set(causes.map((c) => `${c.field}: ${c.message}`))];
  const list = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${kind}.meta.k8s.io "" is invalid: ${list}`, {
    group: 'meta.k8s.io',
    kind,
    causes,
  });
}

export function assertOptions(kind: string, causes: StatusCause[]) {
  if (causes.length > 0) throw invalidOptions(kind, causes);
}

/** The dryRun values (["All"] or none); anything else is NotSupported. */
export function dryRunCauses(values: readonly string[]): StatusCause[] {
  if (values.every((v) => v === 'All')) return [];
  return [notSupported('dryRun', values, ['All'])];
}

export function fieldManagerCauses(manager: string | null): StatusCause[] {
  if (manager === null) return [];
  const causes: StatusCause[] = [];
  if (manager.length > 128) {
    causes.push({
      reason: 'FieldValueTooLong',
      message: 'Too long: may not be more than 128 bytes',
      field: 'fieldManager',
    });
  }
  // Unicode letters, marks, numbers, punctuation, symbols and the ASCII space are printable.
  [...manager].forEach((ch, i) => {
    if (ch !== ' ' && !/[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch)) {
      const hex = ch.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0') ?? '';
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(manager)}: invalid character U+${hex} (at position ${i})`,
        field: 'fieldManager',
      });
    }
  });
  return causes;
}

const VALIDATIONS = ['Ignore', 'Warn', 'Strict'];

export function fieldValidationCauses(v: string | null): StatusCause[] {
  if (v === null || v === '' || VALIDATIONS.includes(v)) return [];
  return [
    {
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(v)}: supported values: ${quoted(VALIDATIONS)}`,
      field: 'fieldValidation',
    },
  ];
}

/** CreateOptions / UpdateOptions from the query: dryRun (true for "All"), after validation. */
export function writeOptions(kind: 'CreateOptions' | 'UpdateOptions', q: URLSearchParams): boolean {
  const dryRun = q.getAll('dryRun');
  assertOptions(kind, [
    ...fieldManagerCauses(q.get('fieldManager')),
    ...dryRunCauses(dryRun),
    ...fieldValidationCauses(q.get('fieldValidation')),
  ]);
  return dryRun.includes('All');
}

export interface PatchOptions {
  dryRun: boolean;
  fieldManager: string | undefined;
  force: boolean;
}

export function patchOptions(q: URLSearchParams, isApply: boolean): PatchOptions {
  const dryRun = q.getAll('dryRun');
  const manager = q.get('fieldManager');
  const force = boolParam(q, 'force');
  const causes: StatusCause[] = [];
  if (isApply) {
    if (!manager) causes.push(requiredCause('fieldManager', 'is required for apply patch'));
  } else if (force !== undefined) {
    causes.push(forbidden('force', 'may not be specified for non-apply patch'));
  }
  causes.push(...fieldManagerCauses(manager), ...dryRunCauses(dryRun));
  causes.push(...fieldValidationCauses(q.get('fieldValidation')));
  assertOptions('PatchOptions', causes);
  return { dryRun: dryRun.includes('All'), fieldManager: manager || undefined, force: force === true };
}

export type RvMatch = 'Exact' | 'NotOlderThan' | undefined;

export interface ListQuery {
  watch: boolean;
  resourceVersion: string | undefined;
  resourceVersionMatch: RvMatch;
  sendInitialEvents: boolean | undefined;
}

/** ListOptions validation (internalversion ValidateListOptions), for lists and watches. */
export function listQuery(q: URLSearchParams): ListQuery {
  const watch = boolParam(q, 'watch') === true;
  const rv = q.get('resourceVersion') ?? undefined;
  const match = q.get('resourceVersionMatch') ?? '';
  const sendInitialEvents = boolParam(q, 'sendInitialEvents');
  const cont = q.get('continue') ?? '';
  const causes: StatusCause[] = [];
  const field = 'resourceVersionMatch';
  if (watch) {
    if (sendInitialEvents !== undefined && match !== 'NotOlderThan') {
      causes.push(
        forbidden(field, 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'),
      );
    }
    if (match !== '') {
      if (sendInitialEvents === undefined) {
        causes.push(
          forbidden(
            field,
            'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
          ),
        );
      }
      if (match !== 'NotOlderThan') causes.push(notSupported(field, match, ['NotOlderThan']));
      if (cont !== '')
        causes.push(forbidden(field, 'resourceVersionMatch is forbidden when continue is provided'));
    }
  } else {
    if (match !== '') {
      if (!rv)
        causes.push(forbidden(field, 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
      if (cont !== '')
        causes.push(forbidden(field, 'resourceVersionMatch is forbidden when continue is provided'));
      if (match !== 'Exact' && match !== 'NotOlderThan') {
        causes.push(notSupported(field, match, ['Exact', 'NotOlderThan', '']));
      }
      if (match === 'Exact' && rv === '0') {
        causes.push(forbidden(field, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
      }
    }
    if (sendInitialEvents !== undefined) {
      causes.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
    }
  }
  assertOptions('ListOptions', causes);
  return {
    watch,
    resourceVersion: rv,
    resourceVersionMatch: match === '' ? undefined : (match as RvMatch),
    sendInitialEvents,
  };
}

export const PROPAGATION_POLICIES = ['Foreground', 'Background', 'Orphan'] as const;

/** DeleteOptions validation: propagationPolicy, orphanDependents with it, dryRun. */
export function deleteOptionsCauses(o: {
  propagationPolicy?: unknown;
  orphanDependents?: unknown;
  dryRun?: readonly string[];
}): StatusCause[] {
  const causes: StatusCause[] = [];
  const pp = o.propagationPolicy;
  if (o.orphanDependents !== undefined && pp !== undefined) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(pp)}: orphanDependents and deletionPropagation cannot be both set`,
      field: 'propagationPolicy',
    });
  }
  if (pp !== undefined && !(PROPAGATION_POLICIES as readonly unknown[]).includes(pp)) {
    causes.push(notSupported('propagationPolicy', pp, [...PROPAGATION_POLICIES, 'nil']));
  }
  causes.push(...dryRunCauses(o.dryRun ?? []));
  return causes;
}
