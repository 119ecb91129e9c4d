/**
 * Image references and the image allow-list, shared by the gateway (checked when a pipeline is
 * created and a template registered) and the Job builder (checked again when the Job is made).
 *
 * A reference is `[registry/]path[:tag][@digest]` as the container runtimes read it; a name without a
 * registry is Docker Hub's (`python` is `docker.io/library/python`). An allow-list rule is one of
 * - a repository, `registry.io/team/etl`: every tag and digest of exactly that repository
 *   (`registry.io/team/etl:1.2`, `registry.io/team/etl@sha256:…`), never `registry.io/team/etl-evil`
 *   nor `registry.io.evil.com/x`;
 * - a repository with a tag or a digest, `python:3.11-slim`: exactly that tag (or digest);
 * - a namespace, `registry.io/team/*`: every repository under `registry.io/team/`, at any depth.
 * Rules and images are compared after the same normalisation, so `python` and
 * `docker.io/library/python` are one repository.
 */

export interface ImageRef {
  /** Normalised: always with a registry, Docker Hub's official images under `library/`. */
  repository: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const REGISTRY =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const MAX_REF = 512;

function isRegistry(first: string): boolean {
  return first === 'localhost' || first.includes('.') || first.includes(':');
}

function repositoryOf(name: string): string | null {
  const parts = name.split('/');
  let registry = 'docker.io';
  const first = parts[0] ?? '';
  if (parts.length > 1 && isRegistry(first)) {
    if (!REGISTRY.test(first)) return null;
    registry = first.toLowerCase();
    parts.shift();
  }
  if (parts.length === 0 || !parts.every((p) => COMPONENT.test(p))) return null;
  if (registry === 'index.docker.io') registry = 'docker.io';
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  return `${registry}/${parts.join('/')}`;
}

/** Parses an image reference; null when it is not one. */
export function parseImageRef(ref: string): ImageRef | null {
  if (ref.length === 0 || ref.length > MAX_REF) return null;
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return null;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return null;
  }
  const repository = repositoryOf(rest);
  if (repository === null) return null;
  return {
    repository,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

type Rule = { kind: 'namespace'; prefix: string } | { kind: 'image'; ref: ImageRef };

/** Parses an allow-list rule; null when it is neither a reference nor `<namespace>/*`. */
function parseRule(rule: string): Rule | null {
  if (rule.endsWith('/*')) {
    const ns = parseImageRef(rule.slice(0, -2));
    if (ns === null || ns.tag !== undefined || ns.digest !== undefined) return null;
    // `python/*` must not silently mean `docker.io/library/python/*`.
    const raw = rule.slice(0, -2);
    const prefix = raw.includes('/') || isRegistry(raw) ? ns.repository : `docker.io/${raw}`;
    return { kind: 'namespace', prefix: `${prefix}/` };
  }
  const ref = parseImageRef(rule);
  return ref === null ? null : { kind: 'image', ref };
}

/** Whether `rule` is a valid allow-list rule (for config validation at start-up). */
export function isImageRule(rule: string): boolean {
  return parseRule(rule) !== null;
}

function matches(rule: Rule, image: ImageRef): boolean {
  if (rule.kind === 'namespace') return image.repository.startsWith(rule.prefix);
  const r = rule.ref;
  if (r.repository !== image.repository) return false;
  if (r.digest !== undefined) return image.digest === r.digest;
  if (r.tag !== undefined) return image.tag === r.tag && image.digest === undefined;
  return true;
}

/**
 * Whether `image` may run under `allowList`. An empty list allows every well-formed reference; a
 * malformed reference is never allowed.
 */
export function imageAllowed(image: string, allowList: readonly string[]): boolean {
  const ref = parseImageRef(image);
  if (ref === null) return false;
  if (allowList.length === 0) return true;
  return allowList.some((raw) => {
    const rule = parseRule(raw);
    return rule !== null && matches(rule, ref);
  });
}
