// Just enough of the Kubernetes protobuf encoding to accept what typed clients (kubectl create
// namespace) POST: the "k8s\0" envelope, TypeMeta and the ObjectMeta name/labels/annotations.
import { badRequest } from './status.ts';

type Fields = Map<number, (Buffer | number)[]>;

function varint(buf: Buffer, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  let p = pos;
  for (;;) {
    const b = buf[p++];
    if (b === undefined) throw badRequest('truncated protobuf');
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, p];
    shift += 7;
  }
}

function fields(buf: Buffer): Fields {
  const out: Fields = new Map();
  let p = 0;
  while (p < buf.length) {
    const [tag, p1] = varint(buf, p);
    p = p1;
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    let v: Buffer | number;
    if (wire === 0) [v, p] = varint(buf, p);
    else if (wire === 2) {
      const [len, p2] = varint(buf, p);
      v = buf.subarray(p2, p2 + len);
      p = p2 + len;
    } else if (wire === 1) {
      v = buf.subarray(p, p + 8);
      p += 8;
    } else if (wire === 5) {
      v = buf.subarray(p, p + 4);
      p += 4;
    } else throw badRequest(`unsupported protobuf wire type ${wire}`);
    const list = out.get(field) ?? [];
    list.push(v);
    out.set(field, list);
  }
  return out;
}

function str(f: Fields, n: number): string | undefined {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
}

function map(f: Fields, n: number): Record<string, string> | undefined {
  const entries = f.get(n);
  if (!entries) return undefined;
  const out: Record<string, string> = {};
  for (const e of entries) {
    if (!Buffer.isBuffer(e)) continue;
    const kv = fields(e);
    out[str(kv, 1) ?? ''] = str(kv, 2) ?? '';
  }
  return out;
}

/** Decode a protobuf-encoded object to the JSON shape (metadata only; spec/status are dropped). */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (body.subarray(0, 4).toString('latin1') !== 'k8s\0')
    throw badRequest('protobuf body without the k8s envelope');
  const unknown = fields(body.subarray(4));
  const typeMetaBuf = unknown.get(1)?.[0];
  const rawBuf = unknown.get(2)?.[0];
  const typeMeta = Buffer.isBuffer(typeMetaBuf) ? fields(typeMetaBuf) : new Map();
  const obj = Buffer.isBuffer(rawBuf) ? fields(rawBuf) : new Map();
  const metaBuf = obj.get(1)?.[0];
  const meta = Buffer.isBuffer(metaBuf) ? fields(metaBuf) : new Map();
  const metadata: Record<string, unknown> = {};
  const name = str(meta, 1);
  const generateName = str(meta, 2);
  const labels = map(meta, 11);
  const annotations = map(meta, 12);
  if (name) metadata.name = name;
  if (generateName) metadata.generateName = generateName;
  if (labels) metadata.labels = labels;
  if (annotations) metadata.annotations = annotations;
  return { apiVersion: str(typeMeta, 1), kind: str(typeMeta, 2), metadata };
}
