/**
 * A minimal protobuf encoder for ONNX ModelProto: just the messages and fields a cft-bench
 * model needs (field numbers from onnx/onnx.proto). Dependency-free on purpose: a full
 * protobuf runtime plus the ONNX schema would be a large dependency for a few dozen lines.
 */

type Field = Uint8Array;

function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return out;
}

const tag = (field: number, wire: number) => varint((field << 3) | wire);

export function concat(parts: readonly Field[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const int = (field: number, v: number | bigint): Field => Uint8Array.from([...tag(field, 0), ...varint(v)]);
export const bytes = (field: number, b: Uint8Array): Field => concat([Uint8Array.from([...tag(field, 2), ...varint(b.length)]), b]);
export const str = (field: number, s: string): Field => bytes(field, new TextEncoder().encode(s));
export const msg = (field: number, parts: readonly Field[]): Field => bytes(field, concat(parts));
export function float32(field: number, v: number): Field {
  const b = new Uint8Array(5 + 4);
  const t = tag(field, 5);
  b.set(t);
  new DataView(b.buffer).setFloat32(t.length, v, true);
  return b.subarray(0, t.length + 4);
}

// ONNX enums
export const DT = { FLOAT: 1, INT32: 6, INT64: 7 } as const;
const ATTR = { FLOAT: 1, INT: 2, INTS: 7 } as const;

export type Attr = { name: string; f: number } | { name: string; i: number } | { name: string; ints: number[] };

function attribute(a: Attr): Field {
  if ('f' in a) return msg(5, [str(1, a.name), float32(2, a.f), int(20, ATTR.FLOAT)]);
  if ('i' in a) return msg(5, [str(1, a.name), int(3, a.i), int(20, ATTR.INT)]);
  return msg(5, [str(1, a.name), ...a.ints.map((v) => int(8, v)), int(20, ATTR.INTS)]);
}

export function node(op: string, inputs: string[], outputs: string[], name: string, attrs: Attr[] = []): Field {
  return msg(1, [...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, name), str(4, op), ...attrs.map(attribute)]);
}

/** An initializer tensor (raw little-endian data). */
export function tensor(name: string, dims: number[], data: Float32Array | BigInt64Array | Int32Array): Field {
  const type = data instanceof Float32Array ? DT.FLOAT : data instanceof BigInt64Array ? DT.INT64 : DT.INT32;
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return msg(5, [...dims.map((d) => int(1, d)), int(2, type), str(8, name), bytes(9, Uint8Array.from(raw))]);
}

/** A graph input/output: name, element type, dims (string = symbolic). */
export function valueInfo(field: 11 | 12, name: string, elemType: number, dims: (number | string)[]): Field {
  const shape = dims.map((d) => msg(1, [typeof d === 'number' ? int(1, d) : str(2, d)]));
  return msg(field, [str(1, name), msg(2, [msg(1, [int(1, elemType), msg(2, shape)])])]);
}

export interface ModelParts {
  readonly nodes: Field[];
  readonly initializers: Field[];
  readonly inputs: Field[];
  readonly outputs: Field[];
  readonly graphName: string;
  readonly docString: string;
  readonly opset: number;
  readonly producerVersion: string;
}

export function modelProto(m: ModelParts): Uint8Array {
  const graph = msg(7, [...m.nodes, str(2, m.graphName), ...m.initializers, str(10, m.docString), ...m.inputs, ...m.outputs]);
  return concat([int(1, 8), str(2, 'cft-bench'), str(3, m.producerVersion), graph, msg(8, [str(1, ''), int(2, m.opset)])]);
}
