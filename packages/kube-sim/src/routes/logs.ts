// GET /api/v1/namespaces/{ns}/pods/{name}/log
import type { ServerResponse } from 'node:http';
import { formatLine, type LogLine, type LogStore, selectLines } from '../logs.ts';
import { badRequest, notFound } from '../status.ts';
import type { Store } from '../store.ts';
import type { Pod } from '../types.ts';

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`strconv.ParseInt: parsing "${v}": invalid syntax`);
  return n;
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

/**
 * Which container instance a log request reads, from the pod status as the kubelet decides it:
 * `previous` is the instance in lastState; otherwise the running one, else the last terminated.
 */
function logContainerId(pod: Pod, container: string, previous: boolean): string {
  const name = pod.metadata.name ?? '';
  const st = pod.status;
  const cs = [...(st?.containerStatuses ?? []), ...(st?.initContainerStatuses ?? [])].find(
    (c) => c.name === container,
  );
  const last = cs?.lastState?.terminated;
  if (previous) {
    if (!last?.containerID)
      throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    return last.containerID;
  }
  if (!cs)
    throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
  const { running, terminated, waiting } = cs.state;
  const gone = () => badRequest(`container "${container}" in pod "${name}" is terminated`);
  if (running) {
    if (!cs.containerID) throw gone();
    return cs.containerID;
  }
  if (terminated) {
    const id = terminated.containerID || last?.containerID;
    if (!id) throw gone();
    return id;
  }
  if (last) {
    if (!last.containerID) throw gone();
    return last.containerID;
  }
  throw badRequest(
    `container "${container}" in pod "${name}" is waiting to start: ${waiting?.reason ?? 'ContainerCreating'}`,
  );
}

export function serveLogs(
  store: Store,
  logs: LogStore,
  ns: string,
  name: string,
  q: URLSearchParams,
  res: ServerResponse,
) {
  const pod = store.get('pods', ns, name) as Pod | undefined;
  if (!pod) throw notFound('pods', '', name);
  // Init containers first, as the API server lists them.
  const names = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c) => c.name);
  let container = q.get('container') ?? '';
  if (!container) {
    if (pod.spec.containers.length !== 1) {
      throw badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`,
      );
    }
    container = pod.spec.containers[0]?.name ?? '';
  }
  if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
  const log = logs.get(
    pod.metadata.uid ?? '',
    container,
    logContainerId(pod, container, boolParam(q, 'previous')),
  );
  if (!log) throw badRequest(`container "${container}" in pod "${name}" is waiting to start - no logs yet`);
  const tailLines = intParam(q, 'tailLines');
  const sinceSeconds = intParam(q, 'sinceSeconds');
  const limitBytes = intParam(q, 'limitBytes');
  if (limitBytes !== undefined && limitBytes < 1)
    throw badRequest('limitBytes: Invalid value: must be greater than 0');
  const sinceTime = q.get('sinceTime') ?? undefined;
  const timestamps = boolParam(q, 'timestamps');
  const follow = boolParam(q, 'follow');
  const query: Parameters<typeof selectLines>[1] = { timestamps };
  if (tailLines !== undefined) query.tailLines = tailLines;
  if (sinceSeconds !== undefined) query.sinceSeconds = sinceSeconds;
  if (sinceTime) query.sinceTime = sinceTime;

  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  let budget = limitBytes ?? Number.POSITIVE_INFINITY;
  let done = false;
  let unfollow: (() => void) | undefined;
  const end = () => {
    if (done) return;
    done = true;
    unfollow?.();
    res.end();
  };
  const emit = (l: LogLine) => {
    if (done) return;
    let s = formatLine(l, timestamps);
    const buf = Buffer.from(s);
    if (buf.length > budget) s = buf.subarray(0, budget).toString('utf8');
    budget -= Math.min(buf.length, budget);
    res.write(s);
    if (budget <= 0) end();
  };
  for (const l of selectLines(log.lines, query)) emit(l);
  if (!follow || log.ended || done) {
    end();
    return;
  }
  unfollow = log.follow((l) => (l === null ? end() : emit(l)));
  res.on('close', end);
}
