/**
 * Python's text-to-number rules, as the official AVA evaluator applies them to CSV fields.
 *
 * The official reader calls `float()`, `int()` and (2020+ version) `decimal.Decimal()` on raw
 * CSV fields, so what it accepts is Python's grammar, not JavaScript's: `float(" 1_0.5 ")` is
 * 10.5, `float("inf")` is inf, `int("+0902")` is 902, while `Number("0x10")` or `Number("")`
 * would be accepted by JS and rejected by Python. These functions return `undefined` exactly
 * where Python raises `ValueError`.
 *
 * Not covered (documented deviation): non-ASCII decimal digits (Python accepts e.g. Arabic-Indic
 * digits in `float()`); no AVA file has them.
 */

// Characters for which Python's str.isspace() is true (what float()/int()/Decimal() strip).
const PY_SPACE = new Set<number>([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
  0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** Python's `str.strip()` with no argument. */
export function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && PY_SPACE.has(s.charCodeAt(a))) a++;
  while (b > a && PY_SPACE.has(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

// digit ('_'? digit)*  — Python's "digitpart" (underscores only between digits).
const DIGITPART = '[0-9](?:_?[0-9])*';
const FLOAT_RE = new RegExp(
  `^[+-]?(?:(?:${DIGITPART}(?:\\.(?:${DIGITPART})?)?|\\.${DIGITPART})(?:[eE][+-]?${DIGITPART})?)$`,
);
const SPECIAL_FLOAT_RE = /^([+-]?)(inf|infinity|nan)$/i;
const INT_RE = new RegExp(`^[+-]?${DIGITPART}$`);

/** Python `float(s)`; `undefined` where Python raises ValueError. */
export function parsePyFloat(s: string): number | undefined {
  const t = pyStrip(s);
  if (FLOAT_RE.test(t)) return Number(t.includes('_') ? t.replace(/_/g, '') : t);
  const m = SPECIAL_FLOAT_RE.exec(t);
  if (m === null) return undefined;
  if (m[2]!.toLowerCase() === 'nan') return NaN;
  return m[1] === '-' ? -Infinity : Infinity;
}

/**
 * Python `int(s)` (base 10); `undefined` where Python raises ValueError. Values beyond
 * Number.MAX_SAFE_INTEGER are rejected too (Python would accept them; no id or timestamp is
 * that large, and silently rounding one would merge distinct keys).
 */
export function parsePyInt(s: string): number | undefined {
  const t = pyStrip(s);
  if (!INT_RE.test(t)) return undefined;
  const v = Number(t.includes('_') ? t.replace(/_/g, '') : t);
  return Number.isSafeInteger(v) ? v : undefined;
}

// Decimal() grammar: like float but also 'Inf'/'Infinity'/'NaN'/'sNaN' with an optional payload.
const DECIMAL_SPECIAL_RE = /^([+-]?)(inf|infinity|nan[0-9]*|snan[0-9]*)$/i;

/**
 * Python `"%.6f" % decimal.Decimal(s)`, the 2020+ evaluator's timestamp key. `%f` converts
 * the Decimal to float first, then formats the binary value with round-half-even (glibc).
 * `undefined` where Python raises.
 */
export function formatPyDecimal6(s: string): string | undefined {
  const t = pyStrip(s);
  let x: number;
  if (FLOAT_RE.test(t)) {
    x = Number(t.includes('_') ? t.replace(/_/g, '') : t);
  } else {
    const m = DECIMAL_SPECIAL_RE.exec(t);
    if (m === null) return undefined;
    const word = m[2]!.toLowerCase();
    if (word.startsWith('snan')) return undefined; // float(Decimal('sNaN')) raises
    if (word.startsWith('nan')) return 'nan';
    return m[1] === '-' ? '-inf' : 'inf';
  }
  return formatFixed6(x);
}

/** C printf `%.6f` of a finite double: exact binary value, ties to even. */
export function formatFixed6(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x < 0 ? '-inf' : 'inf';
  const neg = x < 0 || Object.is(x, -0);
  const ax = Math.abs(x);
  if (ax >= 1e21) return (neg ? '-' : '') + exactFixed(ax, 6);
  let out = ax.toFixed(6);
  // toFixed breaks exact ties upwards; printf breaks them to even. A tie needs ax·10^6 to
  // end in exactly .5, which only dyadic values can do: check exactly with BigInt.
  if (isExactHalfAt6(ax)) out = exactFixed(ax, 6);
  return (neg ? '-' : '') + out;
}

function decompose(x: number): { mant: bigint; exp: number } {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const e = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (e === 0) return { mant, exp: -1074 };
  mant |= 1n << 52n;
  return { mant, exp: e - 1075 };
}

function isExactHalfAt6(ax: number): boolean {
  const { mant, exp } = decompose(ax);
  if (exp >= 0) return false; // an integer: no fractional part at all
  // ax·10^6 = mant·10^6 / 2^-exp ; tie iff (2·mant·10^6) mod 2^-exp == 2^(-exp-1)·... i.e. fraction exactly .5
  const den = 1n << BigInt(-exp);
  const num = mant * 1_000_000n;
  return (num % den) * 2n === den;
}

/** Exact decimal expansion of a non-negative double, rounded half-to-even at `digits`. */
function exactFixed(ax: number, digits: number): string {
  const { mant, exp } = decompose(ax);
  const scale = 10n ** BigInt(digits);
  let q: bigint;
  if (exp >= 0) {
    q = (mant << BigInt(exp)) * scale;
  } else {
    const den = 1n << BigInt(-exp);
    const num = mant * scale;
    q = num / den;
    const rem = num % den;
    if (rem * 2n > den || (rem * 2n === den && q % 2n === 1n)) q += 1n;
  }
  const s = q.toString().padStart(digits + 1, '0');
  return `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
}

/** Python `"%04d" % n` for an integer n. */
export function formatPyInt04(n: number): string {
  return n < 0 ? '-' + String(-n).padStart(3, '0') : String(n).padStart(4, '0');
}
