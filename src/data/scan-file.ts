/**
 * Feeds a file (or a byte range of one) through an AvaCsvScanner in fixed-size chunks, so
 * memory stays flat whatever the file size. `.gz` files (gzip magic bytes) are decompressed
 * as a stream. Scanner RowErrors become InputErrors naming `path:line`.
 */
import { closeSync, openSync, readSync, statSync, createReadStream, existsSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { AvaCsvScanner, RowError } from './ava-csv-scanner.js';
import { InputError } from './input-error.js';

const CHUNK = 4 << 20;

export function isGzipFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** Throws InputError unless `path` is an existing, non-empty regular file (empty allowed if `allowEmpty`). */
export function checkInputFile(path: string, allowEmpty = false): void {
  if (!existsSync(path)) throw new InputError(path, null, 'file not found');
  const st = statSync(path);
  if (!st.isFile()) throw new InputError(path, null, 'not a regular file');
  if (st.size === 0 && !allowEmpty) throw new InputError(path, null, 'file is empty');
}

/** Scans bytes [start, end) of a plain file. RowError line numbers are relative to `start`. */
export function scanRangeSync(path: string, scanner: AvaCsvScanner, start: number, end: number): void {
  const fd = openSync(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(CHUNK);
    let filled = 0;
    let pos = start;
    while (pos < end) {
      if (filled === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2); // a line longer than the buffer
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      }
      const got = readSync(fd, buf, filled, Math.min(buf.length - filled, end - pos), pos);
      if (got === 0) break;
      pos += got;
      filled += got;
      const used = scanner.scan(buf, filled, pos >= end);
      buf.copy(buf, 0, used, filled);
      filled -= used;
    }
    if (filled > 0) scanner.scan(buf, filled, true);
  } finally {
    closeSync(fd);
  }
}

async function scanGzip(path: string, scanner: AvaCsvScanner, allowEmpty: boolean): Promise<void> {
  let carry: Buffer = Buffer.alloc(0);
  let bytes = 0;
  for await (const chunk of createReadStream(path).pipe(createGunzip())) {
    bytes += (chunk as Buffer).length;
    const buf: Buffer = carry.length > 0 ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    const used = scanner.scan(buf, buf.length, false);
    carry = Buffer.from(buf.subarray(used));
  }
  if (carry.length > 0) scanner.scan(carry, carry.length, true);
  // an empty file is refused plain or gzipped alike (a gzip of nothing would score mAP 0)
  if (bytes === 0 && !allowEmpty) throw new InputError(path, null, 'file is empty (a gzip holding no data)');
}

/** A zlib failure (bad CRC, header, method, truncation) as bad input naming the file; anything else unchanged. */
export function gzipError(path: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('Z_')) return new InputError(path, null, `corrupt gzip data (${(err as Error).message})`);
  return err;
}

/** Scans a whole file (plain or gzip) sequentially; errors carry absolute line numbers. */
export async function scanFile(path: string, scanner: AvaCsvScanner, allowEmpty = false): Promise<void> {
  try {
    if (isGzipFile(path)) await scanGzip(path, scanner, allowEmpty);
    else scanRangeSync(path, scanner, 0, statSync(path).size);
  } catch (err) {
    if (err instanceof RowError) throw new InputError(path, err.line, err.message);
    throw gzipError(path, err);
  }
}

/** Lines (Python universal newlines: \n, \r\n, \r) that end before byte `offset` of a plain file. */
export function countLinesBefore(path: string, offset: number): number {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let lines = 0;
    let prevCr = false;
    for (let pos = 0; pos < offset; ) {
      const got = readSync(fd, buf, 0, Math.min(CHUNK, offset - pos), pos);
      if (got === 0) break;
      for (let i = 0; i < got; i++) {
        const c = buf[i]!;
        if (c === 10) {
          if (!prevCr) lines++;
          prevCr = false;
        } else if (c === 13) {
          lines++;
          prevCr = true;
        } else prevCr = false;
      }
      pos += got;
    }
    return lines;
  } finally {
    closeSync(fd);
  }
}
