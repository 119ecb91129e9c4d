// API semantics over the store: create (generateName, uid, defaults, validation), get, list with
// selectors and paging, update with optimistic concurrency, patch, delete with grace periods,
// finalizers and propagation policies. The HTTP layer and the controllers both go through here.
import {
  assertValid,
  defaultJob,
  defaultPodSpec,
  validateJob,
  validateJobUpdate,
  validateNamespace,
  validatePod,
  validatePodUpdate,
} from './admission.ts';
import { decodeLease, validateLease } from './lease.ts';
import { apply, managerFromUserAgent, recordUpdate } from './managed-fields.ts';
import { applyPatch, JsonPatchFailed, PatchTestFailed } from './patch.ts';
import { addDefaultTolerations, addServiceAccountToken } from './pod-defaults.ts';
import { apiVersionOf, NAMESPACES, PODS, type ResourceInfo } from './resources.ts';
import { type FieldSelector, fieldValue, type LabelSelector, matchFields, matchLabels } from './selectors.ts';
import { ApiError, alreadyExists, badRequest, conflict, gone, invalid, notFound } from './status.ts';
import type { Entry, Store } from './store.ts';
import type { Job, KubeObject, Pod, PodSpec } from './types.ts';
import { clone, isRecord, newUid, now, semanticEqual } from './types.ts';

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return s;
}

export interface DeleteOptions {
  propagationPolicy?: string;
  /** orphanDependents=false was given (the one case the real server answers 202) */
  orphanDependentsFalse?: boolean;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface ListOptions {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  limit?: number;
  continue?: string;
}

export interface ListResult {
  /** matching entries, sorted by namespace/name; serialize with store.bodyOf */
  entries: Entry[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export type DeleteResult = { object: KubeObject; removed: boolean };

/** Who a write is recorded for in managedFields (a fieldManager, or the User-Agent's prefix). */
export interface Writer {
  manager: string;
  /** managedFields already computed (an apply that creates): kept as they are */
  managedFields?: unknown;
}

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

/** The message of the Warning a Job delete without a propagation policy answers with. */
export const JOB_DELETE_WARNING =
  'child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning';

/** Resources whose objects carry metadata.generation (bumped on spec changes). */
const GENERATION = new Set(['jobs', 'cronjobs']);

export function writerFor(fieldManager: string | null | undefined, userAgent: string | undefined): Writer {
  return { manager: fieldManager || managerFromUserAgent(userAgent) };
}

export function matches(
  obj: KubeObject,
  labelSelector: LabelSelector | undefined,
  fieldSelector: FieldSelector | undefined,
): boolean {
  if (labelSelector && labelSelector.length > 0 && !matchLabels(labelSelector, obj.metadata.labels))
    return false;
  if (fieldSelector && fieldSelector.length > 0) {
    return matchFields(fieldSelector, (f) => {
      if (f === 'status.successful') return fieldValue(obj, 'status.succeeded') || '0';
      if (f === 'source') return fieldValue(obj, 'source.component');
      return fieldValue(obj, f);
    });
  }
  return true;
}

/** Selector match on a stored entry: labels without parsing; fields parse a cold object once. */
export function matchesEntry(
  store: Store,
  e: Entry,
  labelSelector: LabelSelector | undefined,
  fieldSelector: FieldSelector | undefined,
): boolean {
  if (labelSelector && labelSelector.length > 0 && !matchLabels(labelSelector, e.labels)) return false;
  if (fieldSelector && fieldSelector.length > 0) return matches(store.peek(e), undefined, fieldSelector);
  return true;
}

export class Cluster {
  readonly store: Store;
  /**
   * When set, every successful create is counted here by `resource/namespace/name` (tests that
   * assert "exactly one Job was ever created"); off by default, it grows with every object.
   */
  creations: Map<string, number> | undefined;
  /** Called after a pod is marked for graceful deletion (the kubelet finishes it). */
  onPodTerminating: (pod: Pod) => void = () => {};

  constructor(store: Store) {
    this.store = store;
  }

  private requireNamespace(info: ResourceInfo, ns: string | undefined) {
    if (!info.namespaced) return;
    const nsObj = ns ? this.store.get('namespaces', undefined, ns) : undefined;
    if (!ns || !nsObj) throw notFound('namespaces', '', ns ?? '');
    return nsObj;
  }

  get(info: ResourceInfo, ns: string | undefined, name: string): KubeObject {
    const o = this.store.get(info.resource, info.namespaced ? ns : undefined, name);
    if (!o) throw notFound(info.resource, info.group, name);
    return o;
  }

  /** The stored entry (for serving its JSON without parsing a cold object). */
  getEntry(info: ResourceInfo, ns: string | undefined, name: string): Entry {
    const e = this.store.entry(info.resource, info.namespaced ? ns : undefined, name);
    if (!e) throw notFound(info.resource, info.group, name);
    return e;
  }

  list(info: ResourceInfo, ns: string | undefined, opts: ListOptions = {}): ListResult {
    const rv = String(this.store.resourceVersion);
    let start = '';
    if (opts.continue) {
      try {
        const tok = JSON.parse(Buffer.from(opts.continue, 'base64url').toString('utf8'));
        if (!isRecord(tok) || typeof tok.start !== 'string' || typeof tok.rv !== 'number')
          throw new Error('bad');
        if (tok.rv < this.store.oldestValidRv) {
          throw gone(
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
          );
        }
        start = tok.start;
      } catch (e) {
        if (e instanceof ApiError) throw e;
        throw badRequest('continue key is not valid: illegal base64 data at input byte 0');
      }
    }
    const all: Entry[] = [];
    const nsFilter = info.namespaced ? ns : undefined;
    const eq: { key: string; value: string }[] = [];
    for (const r of opts.labelSelector ?? []) if (r.op === 'eq') eq.push({ key: r.key, value: r.value });
    const source = this.store.candidates(info.resource, eq) ?? this.store.entries(info.resource, nsFilter);
    for (const e of source) {
      if (nsFilter !== undefined && e.ns !== nsFilter) continue;
      if (start && e.key <= start) continue;
      if (matchesEntry(this.store, e, opts.labelSelector, opts.fieldSelector)) all.push(e);
    }
    all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    if (limit && all.length > limit) {
      const page = all.slice(0, limit);
      const last = page[page.length - 1];
      const token = Buffer.from(JSON.stringify({ rv: Number(rv), start: last?.key ?? '' })).toString(
        'base64url',
      );
      return {
        entries: page,
        resourceVersion: rv,
        continue: token,
        remainingItemCount: all.length - limit,
      };
    }
    return { entries: all, resourceVersion: rv };
  }

  create(
    info: ResourceInfo,
    ns: string | undefined,
    body: unknown,
    dryRun = false,
    writer?: Writer,
  ): KubeObject {
    if (!isRecord(body) || !isRecord(body.metadata ?? {}))
      throw badRequest('the object provided is unrecognized');
    if (body.kind !== undefined && body.kind !== info.kind) {
      throw badRequest(
        `the object provided is unrecognized (must be of type ${info.kind}): ${String(body.kind)}`,
      );
    }
    // The body is ours (freshly parsed or built by a controller): no copy.
    const obj = body as KubeObject;
    obj.apiVersion = apiVersionOf(info);
    obj.kind = info.kind;
    obj.metadata ??= {};
    const meta = obj.metadata;
    if (info.namespaced) {
      if (meta.namespace && meta.namespace !== ns) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      meta.namespace = ns;
      const nsObj = this.requireNamespace(info, ns);
      if (nsObj?.metadata.deletionTimestamp) {
        throw new ApiError(
          403,
          'Forbidden',
          `${info.resource}${info.group ? `.${info.group}` : ''} "${meta.name ?? meta.generateName ?? ''}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
          { name: meta.name ?? '', group: info.group, kind: info.resource },
        );
      }
    } else {
      delete meta.namespace;
    }
    if (!meta.name && meta.generateName) {
      for (let i = 0; i < 8; i++) {
        const candidate = `${meta.generateName}${randomSuffix()}`;
        if (!this.store.get(info.resource, meta.namespace, candidate)) {
          meta.name = candidate;
          break;
        }
      }
    }
    const uid = newUid();
    meta.uid = uid;
    meta.creationTimestamp = now();
    if (GENERATION.has(info.resource)) meta.generation = 1;
    else delete meta.generation;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.managedFields;
    this.admitCreate(info, obj, uid);
    if (writer?.managedFields !== undefined) meta.managedFields = writer.managedFields as never;
    else if (writer) recordUpdate(undefined, obj, writer.manager, apiVersionOf(info));
    if (meta.name && this.store.get(info.resource, meta.namespace, meta.name)) {
      throw alreadyExists(info.resource, info.group, meta.name);
    }
    if (dryRun) return obj;
    const created = this.store.create(info.resource, obj);
    if (this.creations) {
      const key = `${info.resource}/${meta.namespace ?? ''}/${meta.name}`;
      this.creations.set(key, (this.creations.get(key) ?? 0) + 1);
    }
    return created;
  }

  private admitCreate(info: ResourceInfo, obj: KubeObject, uid: string) {
    switch (info.resource) {
      case 'jobs': {
        const job = obj as Job;
        defaultJob(job, uid);
        assertValid(info, obj, validateJob(job));
        job.status = {};
        break;
      }
      case 'pods': {
        if (isRecord(obj.spec)) {
          const spec = obj.spec as PodSpec;
          defaultPodSpec(spec, false);
          addServiceAccountToken(spec, randomSuffix());
          addDefaultTolerations(spec);
        }
        assertValid(info, obj, validatePod(obj));
        obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
        break;
      }
      case 'namespaces': {
        assertValid(info, obj, validateNamespace(obj));
        obj.metadata.labels = {
          ...(obj.metadata.labels ?? {}),
          'kubernetes.io/metadata.name': obj.metadata.name ?? '',
        };
        obj.spec = { finalizers: ['kubernetes'] };
        obj.status = { phase: 'Active' };
        break;
      }
      case 'leases': {
        decodeLease(obj);
        assertValid(info, obj, validateLease(obj));
        // The lease strategy keeps no generation.
        delete obj.metadata.generation;
        break;
      }
      default: {
        if (!obj.metadata.name) {
          assertValid(info, obj, [
            {
              reason: 'FieldValueRequired',
              message: 'Required value: name or generateName is required',
              field: 'metadata.name',
            },
          ]);
        }
      }
    }
  }

  /**
   * Replace an object (PUT). `subresource === 'status'` changes only status; otherwise status is kept
   * for resources that have a status subresource.
   */
  replace(
    info: ResourceInfo,
    ns: string | undefined,
    name: string,
    body: unknown,
    subresource?: string,
    dryRun = false,
    writer?: Writer,
  ): KubeObject {
    if (!isRecord(body) || !isRecord(body.metadata)) throw badRequest('the object provided is unrecognized');
    const cur = this.get(info, ns, name);
    const inBody = body as KubeObject;
    if (inBody.metadata.name !== undefined && inBody.metadata.name !== name) {
      throw badRequest(
        'the name of the object (' +
          String(inBody.metadata.name) +
          ') does not match the name on the URL (' +
          name +
          ')',
      );
    }
    const rv = inBody.metadata.resourceVersion;
    if (info.unconditionalUpdate === false && (rv === undefined || rv === '')) {
      throw invalid(info.resource, info.group, name, [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: 0x0: must be specified for an update',
          field: 'metadata.resourceVersion',
        },
      ]);
    }
    if (rv !== undefined && rv !== '' && rv !== cur.metadata.resourceVersion) {
      throw conflict(info.resource, info.group, name);
    }
    let next: KubeObject;
    if (subresource === 'status') {
      // A status write keeps the spec but, like the real Job, Pod and Namespace strategies, takes
      // the metadata it was sent (labels, annotations…), except the fields the server owns.
      next = { ...inBody, apiVersion: cur.apiVersion, kind: cur.kind, spec: cur.spec, status: inBody.status };
      next.metadata = {
        ...inBody.metadata,
        name,
        uid: cur.metadata.uid,
        creationTimestamp: cur.metadata.creationTimestamp,
      };
      if (cur.metadata.generation !== undefined) next.metadata.generation = cur.metadata.generation;
      else delete next.metadata.generation;
      if (info.namespaced) next.metadata.namespace = ns;
      delete next.metadata.deletionTimestamp;
      delete next.metadata.deletionGracePeriodSeconds;
      if (cur.metadata.deletionTimestamp) {
        next.metadata.deletionTimestamp = cur.metadata.deletionTimestamp;
        if (cur.metadata.deletionGracePeriodSeconds !== undefined)
          next.metadata.deletionGracePeriodSeconds = cur.metadata.deletionGracePeriodSeconds;
      }
      if (next.metadata.managedFields === undefined && cur.metadata.managedFields !== undefined)
        next.metadata.managedFields = cur.metadata.managedFields;
    } else {
      // The body is ours (parsed or patched): no copy.
      next = inBody;
      next.apiVersion = cur.apiVersion;
      next.kind = cur.kind;
      next.metadata = {
        ...next.metadata,
        name,
        uid: cur.metadata.uid,
        creationTimestamp: cur.metadata.creationTimestamp,
        generation: cur.metadata.generation,
      };
      if (next.metadata.generation === undefined) delete next.metadata.generation;
      if (next.metadata.managedFields === undefined && cur.metadata.managedFields !== undefined)
        next.metadata.managedFields = cur.metadata.managedFields;
      if (info.namespaced) next.metadata.namespace = ns;
      if (cur.metadata.deletionTimestamp) {
        next.metadata.deletionTimestamp = cur.metadata.deletionTimestamp;
        if (cur.metadata.deletionGracePeriodSeconds !== undefined) {
          next.metadata.deletionGracePeriodSeconds = cur.metadata.deletionGracePeriodSeconds;
        }
      }
      if (info.subresources.includes('status')) next.status = cur.status;
      if (GENERATION.has(info.resource) && !semanticEqual(cur.spec, next.spec)) {
        next.metadata.generation = (cur.metadata.generation ?? 1) + 1;
      }
      if (info.resource === 'jobs') {
        assertValid(info, next, validateJobUpdate(cur as Job, next as Job));
      } else if (info.resource === 'pods') {
        assertValid(info, next, validatePodUpdate(cur, next));
      } else if (info.resource === 'namespaces') {
        next.spec = cur.spec;
      } else if (info.resource === 'leases') {
        decodeLease(next);
        assertValid(info, next, validateLease(next));
      }
    }
    if (writer) recordUpdate(cur, next, writer.manager, apiVersionOf(info), subresource);
    if (dryRun) return next;
    return this.commitUpdate(info, next);
  }

  /**
   * Server-side apply: creates the object when it does not exist (an apply to a subresource
   * then is a 404), merges the configuration into it otherwise.
   */
  apply(
    info: ResourceInfo,
    ns: string | undefined,
    name: string,
    body: unknown,
    opts: { manager: string; force: boolean; dryRun: boolean; subresource?: string | undefined },
  ): { object: KubeObject; created: boolean } {
    if (!isRecord(body)) throw badRequest('error decoding patch: the object provided is unrecognized');
    const applied = body as KubeObject;
    const meta = isRecord(applied.metadata) ? applied.metadata : undefined;
    if (meta?.name !== undefined && meta.name !== name) {
      throw badRequest(
        `the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`,
      );
    }
    if (applied.kind !== undefined && applied.kind !== info.kind) {
      throw badRequest(
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
      );
    }
    const av = apiVersionOf(info);
    const cur = this.store.get(info.resource, info.namespaced ? ns : undefined, name);
    if (!cur) {
      if (opts.subresource) throw notFound(info.resource, info.group, name);
      const r = apply(undefined, clone(applied), opts.manager, av, opts.force);
      const obj = r.object as KubeObject;
      obj.metadata.name = name;
      const writer: Writer = { manager: opts.manager, managedFields: obj.metadata.managedFields };
      return { object: this.create(info, ns, obj, opts.dryRun, writer), created: true };
    }
    const r = apply(cur, applied, opts.manager, av, opts.force, opts.subresource);
    const next = r.object as KubeObject;
    next.metadata.resourceVersion = cur.metadata.resourceVersion;
    return {
      object: this.replace(info, ns, name, next, opts.subresource, opts.dryRun),
      created: false,
    };
  }

  patch(
    info: ResourceInfo,
    ns: string | undefined,
    name: string,
    contentType: string,
    patchBody: unknown,
    subresource?: string,
    dryRun = false,
    writer?: Writer,
  ): KubeObject {
    const cur = this.get(info, ns, name);
    let patched: unknown;
    try {
      patched = applyPatch(contentType, clone(cur), patchBody);
    } catch (e) {
      // A JSON patch that does not apply is a 422 whose message says no more (NewGenericServerResponse).
      if (e instanceof PatchTestFailed || e instanceof JsonPatchFailed) {
        throw new ApiError(
          422,
          'Invalid',
          'the server rejected our request due to an error in our request',
          {},
        );
      }
      throw e;
    }
    if (patched === undefined) {
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
      );
    }
    if (!isRecord(patched) || !isRecord(patched.metadata))
      throw badRequest('the patched object is not an object');
    // A patch carries a resourceVersion precondition only if the patch itself set one.
    const patchRv =
      isRecord(patchBody) && isRecord(patchBody.metadata) ? patchBody.metadata.resourceVersion : undefined;
    const body = patched as KubeObject;
    body.metadata.resourceVersion = typeof patchRv === 'string' ? patchRv : cur.metadata.resourceVersion;
    return this.replace(info, ns, name, body, subresource, dryRun, writer);
  }

  /** Store an updated object; an object being deleted whose finalizers are all gone is removed. */
  commitUpdate(info: ResourceInfo, next: KubeObject): KubeObject {
    const meta = next.metadata;
    // Removed once nothing holds it: no finalizer left and (a pod) its graceful deletion done.
    if (
      meta.deletionTimestamp &&
      (meta.finalizers ?? []).length === 0 &&
      (info.resource !== 'pods' || meta.deletionGracePeriodSeconds === 0)
    ) {
      this.store.update(info.resource, next);
      return this.store.remove(info.resource, meta.namespace, meta.name ?? '') ?? next;
    }
    return this.store.update(info.resource, next);
  }

  delete(info: ResourceInfo, ns: string | undefined, name: string, opts: DeleteOptions = {}): DeleteResult {
    const cur = this.get(info, ns, name);
    const pre = opts.preconditions;
    // Checked early, as rest.BeforeDelete does: the message names the kind, not the resource.
    const gr = info.group ? `${info.kind}.${info.group}` : info.kind;
    const checks: [string, string | undefined, string | undefined, string][] = [
      ['UID', pre?.uid, cur.metadata.uid, 'The object might have been deleted and then recreated'],
      [
        'ResourceVersion',
        pre?.resourceVersion,
        cur.metadata.resourceVersion,
        'The object might have been modified',
      ],
    ];
    for (const [field, wanted, actual, hint] of checks) {
      if (!wanted || wanted === actual) continue;
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${gr} "${name}": the ${field} in the precondition (${wanted}) does not match the ${field} in record (${actual}). ${hint}`,
        { name, group: info.group, kind: info.kind },
      );
    }
    const policy = opts.propagationPolicy ?? (info.resource === 'jobs' ? 'Orphan' : 'Background');
    if (!['Orphan', 'Background', 'Foreground'].includes(policy)) {
      throw new ApiError(
        422,
        'Invalid',
        `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"`,
      );
    }
    if (info.resource === 'namespaces')
      return opts.dryRun ? { object: cur, removed: false } : this.deleteNamespace(cur);

    if (info.resource === 'pods') {
      const pod = cur as Pod;
      const phase = pod.status?.phase;
      const grace = opts.gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
      const running = !!pod.spec.nodeName && phase !== 'Succeeded' && phase !== 'Failed';
      if (running && grace > 0) {
        if (cur.metadata.deletionTimestamp) {
          // Already terminating: a shorter grace period still takes effect.
          const prevGrace = cur.metadata.deletionGracePeriodSeconds ?? grace;
          if (grace >= prevGrace) return { object: cur, removed: false };
        }
        const next: Pod = { ...pod, metadata: { ...pod.metadata } };
        next.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000)
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z');
        next.metadata.deletionGracePeriodSeconds = grace;
        const fin = this.gcFinalizers(cur, policy);
        if (fin) next.metadata.finalizers = fin;
        if (opts.dryRun) return { object: next, removed: false };
        const stored = this.store.update('pods', next) as Pod;
        this.onPodTerminating(stored);
        return { object: stored, removed: false };
      }
    }

    const finalizers = this.gcFinalizers(cur, policy) ?? [];
    if (finalizers.length > 0) {
      if (cur.metadata.deletionTimestamp) return { object: cur, removed: false };
      const next: KubeObject = { ...cur, metadata: { ...cur.metadata } };
      next.metadata.deletionTimestamp = now();
      next.metadata.deletionGracePeriodSeconds = 0;
      next.metadata.finalizers = finalizers;
      if (opts.dryRun) return { object: next, removed: false };
      return { object: this.store.update(info.resource, next), removed: false };
    }
    if (opts.dryRun) return { object: cur, removed: true };
    const removed = this.store.remove(info.resource, cur.metadata.namespace, name);
    return { object: removed ?? cur, removed: true };
  }

  /** The finalizers after a delete with this policy (the garbage collector's own, added). */
  private gcFinalizers(cur: KubeObject, policy: string): string[] | undefined {
    const had = cur.metadata.finalizers;
    const add = policy === 'Orphan' ? 'orphan' : policy === 'Foreground' ? 'foregroundDeletion' : undefined;
    if (!add || had?.includes(add)) return had;
    return [...(had ?? []), add];
  }

  /**
   * The kubelet is done with a pod being deleted: it goes now, or, while finalizers (the Job
   * controller's tracking one) remain, once they are removed.
   */
  finishPodDeletion(ns: string, name: string) {
    const cur = this.store.get('pods', ns, name);
    if (!cur) return;
    if ((cur.metadata.finalizers ?? []).length === 0) {
      this.store.remove('pods', ns, name);
      return;
    }
    if (cur.metadata.deletionTimestamp && cur.metadata.deletionGracePeriodSeconds === 0) return;
    const next: KubeObject = { ...cur, metadata: { ...cur.metadata } };
    next.metadata.deletionTimestamp ??= now();
    next.metadata.deletionGracePeriodSeconds = 0;
    this.store.update('pods', next);
  }

  /** The garbage collector orphans the dependents of an owner deleted with the Orphan policy. */
  orphanDependents(owner: KubeObject) {
    const uid = owner.metadata.uid ?? '';
    for (const d of this.store.dependents(uid)) {
      const next = clone(d.object);
      next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
      this.store.update(d.resource, next);
    }
  }

  private deleteNamespace(cur: KubeObject): DeleteResult {
    if (!cur.metadata.deletionTimestamp) {
      const next = clone(cur);
      next.metadata.deletionTimestamp = now();
      next.status = { phase: 'Terminating' };
      this.store.update('namespaces', next);
    }
    const ns = cur.metadata.name ?? '';
    this.finishNamespace(ns);
    return { object: this.store.get('namespaces', undefined, ns) ?? cur, removed: false };
  }

  /** Delete everything in a terminating namespace; remove it once empty. */
  finishNamespace(ns: string) {
    const nsObj = this.store.get('namespaces', undefined, ns);
    if (!nsObj?.metadata.deletionTimestamp) return;
    let left = 0;
    for (const resource of ['jobs', 'pods', 'events']) {
      for (const o of [...this.store.list(resource, ns)]) {
        left++;
        if (o.metadata.deletionTimestamp) continue;
        if (resource === 'pods') {
          try {
            this.delete(PODS, ns, o.metadata.name ?? '', {});
          } catch {
            // already gone
          }
        } else {
          this.store.remove(resource, ns, o.metadata.name ?? '');
        }
      }
    }
    if (left === 0) this.store.remove(NAMESPACES.resource, undefined, ns);
  }
}
