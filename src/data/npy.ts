/**
 * NPY files: written with npyjs; read by random access (header + row offsets), so a clip
 * file of any size is never loaded whole (npyjs parses whole buffers, fine for small files).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { dump } from 'npyjs';
import { InputError } from './input-error.js';

export function npyBytes(data: Uint8Array | Int32Array | Float32Array, shape: number[]): Uint8Array {
  return new Uint8Array(dump(data, shape));
}

export interface NpyHeader {
  readonly dtype: string;
  readonly shape: number[];
  readonly dataOffset: number;
}

/** Reads and checks an NPY header (C order only). */
export function readNpyHeader(path: string): NpyHeader {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(65536);
    const got = readSync(fd, head, 0, head.length, 0);
    if (got < 10 || head.toString('latin1', 0, 6) !== '\x93NUMPY') throw new InputError(path, null, 'not an NPY file (bad magic)');
    const major = head[6]!;
    const len = major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
    const start = major === 1 ? 10 : 12;
    const text = head.toString('latin1', start, start + len);
    const descr = /'descr':\s*'([^']+)'/.exec(text)?.[1];
    const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
    const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
    if (descr === undefined || fortran === undefined || shapeText === undefined) throw new InputError(path, null, `unreadable NPY header ${JSON.stringify(text)}`);
    if (fortran === 'True') throw new InputError(path, null, 'Fortran-order NPY arrays are not supported (save with C order)');
    const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
    return { dtype: descr, shape, dataOffset: start + len };
  } finally {
    closeSync(fd);
  }
}

/** Row `index` (all trailing dimensions) of a uint8 NPY file. */
export function readNpyRow(path: string, header: NpyHeader, index: number): Uint8Array {
  const rowBytes = header.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = new Uint8Array(rowBytes);
  const fd = openSync(path, 'r');
  try {
    if (readSync(fd, out, 0, rowBytes, header.dataOffset + index * rowBytes) !== rowBytes) throw new InputError(path, null, `truncated: row ${index} is missing`);
  } finally {
    closeSync(fd);
  }
  return out;
}
