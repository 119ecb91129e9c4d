/**
 * What kind of Kubernetes API request a method and path are, named as the API server's audit log
 * and metrics name them (`<verb> <resource>[/<subresource>]`, e.g. `list pods`, `watch jobs`,
 * `create jobs`, `get pods/log`): kube-sim counts its requests by it (KubeSim.requests), so a
 * benchmark can report how many requests of each kind a pipeline costs.
 */
export function requestKind(method: string, pathname: string, isWatch: boolean): string {
  const segs = pathname.split('/').filter((s) => s !== '');
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 2) rest = segs.slice(2);
  else if (segs[0] === 'apis' && segs.length >= 3) rest = segs.slice(3);
  else return `${method.toLowerCase()} ${pathname}`;
  if (rest[0] === 'watch') rest = rest.slice(1);
  // namespaces/<ns>/<resource>…; namespaces/<ns> alone is the namespace object itself.
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource, name, sub] = rest;
  if (!resource) return `${method.toLowerCase()} ${pathname}`;
  const target = sub ? `${resource}/${sub}` : resource;
  const verb = verbOf(method, name !== undefined, isWatch);
  return `${verb} ${target}`;
}

function verbOf(method: string, named: boolean, isWatch: boolean): string {
  switch (method) {
    case 'GET':
      return isWatch ? 'watch' : named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/** Adds one request of `kind` to `counts`. */
export function countRequest(counts: Map<string, number>, kind: string): void {
  counts.set(kind, (counts.get(kind) ?? 0) + 1);
}
