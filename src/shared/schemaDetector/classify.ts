/** Classifying one value from its bytes: null token, boolean, integer, number, date, datetime or string. */
import type { ColumnType } from '../contract/types';

export const enum Kind {
  Null = 0,
  Boolean = 1,
  Integer = 2,
  Number = 3,
  Date = 4,
  Datetime = 5,
  String = 6,
}

// Bit masks of the column types a value fits; a column keeps the AND of its values' masks.
const FITS_INTEGER = 1;
export const FITS_NUMBER = 2;
const FITS_BOOLEAN = 4;
const FITS_DATE = 8;
export const FITS_DATETIME = 16;
export const FITS: Record<Kind, number> = {
  [Kind.Null]: 31,
  [Kind.Boolean]: FITS_BOOLEAN,
  [Kind.Integer]: FITS_INTEGER | FITS_NUMBER,
  [Kind.Number]: FITS_NUMBER,
  [Kind.Date]: FITS_DATE | FITS_DATETIME,
  [Kind.Datetime]: FITS_DATETIME,
  [Kind.String]: 0,
};

export function typeFromMask(mask: number, nonNull: number): ColumnType {
  if (nonNull === 0) return 'string';
  if (mask & FITS_INTEGER) return 'integer';
  if (mask & FITS_NUMBER) return 'number';
  if (mask & FITS_BOOLEAN) return 'boolean';
  if (mask & FITS_DATE) return 'date';
  if (mask & FITS_DATETIME) return 'datetime';
  return 'string';
}

/** Whether a value of `kind` is acceptable in a column declared as `type`. */
export function kindFits(kind: Kind, type: ColumnType): boolean {
  const bit = FITS_BIT[type];
  return bit === 0 || (FITS[kind] & bit) !== 0;
}

/** The bit a declared column type needs (0: anything fits a string column). */
const FITS_BIT: Record<ColumnType, number> = { integer: FITS_INTEGER, number: FITS_NUMBER, boolean: FITS_BOOLEAN, date: FITS_DATE, datetime: FITS_DATETIME, string: 0 };

/** Set by classifyBytes: the numeric value (integer/number) or epoch milliseconds (date/datetime). */
/**
 * A one-slot typed array rather than a module-level number: every write to a `let` holding a
 * non-small-integer allocates a heap number in this V8 (Node 20), which for millions of cells was
 * a steady stream of garbage and scavenges.
 */
export const classified = new Float64Array(1);

/**
 * The cell being profiled, handed to ColumnProfile.add: [value, key]. Doubles passed as arguments
 * to a call V8 does not inline are boxed as heap numbers (two per cell, hundreds of MB of garbage
 * for a large file); through a typed array they are not.
 */
export const cell = new Float64Array(2);
export const VALUE = 0;
export const KEY = 1;

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil): no Date
 * object per value. Integer divisions by `| 0` where the operand cannot be negative.
 */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = ((y >= 0 ? y : y - 399) / 400) | 0;
  const yoe = y - era * 400;
  const doy = (((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) | 0) + d - 1;
  const doe = yoe * 365 + ((yoe / 4) | 0) - ((yoe / 100) | 0) + doy;
  return era * 146097 + doe - 719468;
}
export const decoder = new TextDecoder();

const isDigit = (b: number) => b >= 48 && b <= 57;

/** Whether byte `b` is the lower-case ASCII letter `letter` in either case (`| 0x20` folds only letters onto letters). */
const isLetter = (b: number, letter: number) => (b | 0x20) === letter;

/** Null tokens after an n/N of length 2–4: NA, N/A, NaN, null, None (any case); the empty cell is checked first. */
function isNullWord(buf: Uint8Array, s: number, len: number): boolean {
  const b1 = buf[s + 1]!;
  if (len === 2) return isLetter(b1, 97);
  const b2 = buf[s + 2]!;
  if (len === 3) return (b1 === 47 && isLetter(b2, 97)) || (isLetter(b1, 97) && isLetter(b2, 110));
  if (len !== 4) return false;
  const b3 = buf[s + 3]!;
  return (isLetter(b1, 117) && isLetter(b2, 108) && isLetter(b3, 108)) || (isLetter(b1, 111) && isLetter(b2, 110) && isLetter(b3, 101));
}

function digitsAt(buf: Uint8Array, s: number, count: number): number {
  let v = 0;
  for (let k = 0; k < count; k++) {
    const b = buf[s + k]!;
    if (!isDigit(b)) return -1;
    v = v * 10 + (b - 48);
  }
  return v;
}

/** Two digits at buf[i], buf[i + 1] (both inside the array) as a number, or -1. */
function twoDigits(buf: Uint8Array, i: number): number {
  const a = buf[i]! - 48;
  const b = buf[i + 1]! - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** YYYY-MM-DD[(T| )HH:MM[:SS[.fff]][Z|±HH[:]MM]] → Kind.Date / Kind.Datetime, or String. `len` ≥ 10. */
function classifyDate(buf: Uint8Array, s: number, len: number): Kind {
  const century = twoDigits(buf, s);
  const yy = twoDigits(buf, s + 2);
  const mo = twoDigits(buf, s + 5);
  const d = twoDigits(buf, s + 8);
  if (century < 0 || yy < 0 || mo < 1 || mo > 12 || d < 1 || buf[s + 7] !== 45) return Kind.String;
  const y = century * 100 + yy;
  if (d > (mo === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[mo - 1]!)) return Kind.String;
  if (len === 10) {
    classified[0] = daysFromCivil(y, mo, d) * 86_400_000;
    return Kind.Date;
  }
  const sep = buf[s + 10];
  if ((sep !== 84 && sep !== 116 && sep !== 32) || len < 16 || buf[s + 13] !== 58) return Kind.String;
  const h = twoDigits(buf, s + 11);
  const mi = twoDigits(buf, s + 14);
  if (h < 0 || h > 23 || mi < 0 || mi > 59) return Kind.String;
  let p = s + 16;
  const e = s + len;
  let sec = 0;
  let ms = 0;
  if (p < e && buf[p] === 58) {
    sec = digitsAt(buf, p + 1, 2);
    if (sec < 0 || sec > 60 || p + 3 > e) return Kind.String;
    p += 3;
    if (p < e && (buf[p] === 46 || buf[p] === 44)) {
      p++;
      let scale = 100;
      const fracStart = p;
      while (p < e && isDigit(buf[p]!)) {
        ms += (buf[p]! - 48) * scale;
        scale /= 10;
        p++;
      }
      if (p === fracStart) return Kind.String;
    }
  }
  let offsetMin = 0;
  if (p < e) {
    const z = buf[p];
    if ((z === 90 || z === 122) && p + 1 === e) p++;
    else if (z === 43 || z === 45) {
      const oh = digitsAt(buf, p + 1, 2);
      let q = p + 3;
      if (q < e && buf[q] === 58) q++;
      const om = q + 2 <= e ? digitsAt(buf, q, 2) : q === e ? 0 : -1;
      if (oh < 0 || om < 0 || oh > 23) return Kind.String;
      offsetMin = (z === 43 ? 1 : -1) * (oh * 60 + om);
      p = q === e ? e : q + 2;
    }
    if (p !== e) return Kind.String;
  }
  classified[0] = daysFromCivil(y, mo, d) * 86_400_000 + ((h * 60 + mi - offsetMin) * 60 + Math.min(sec, 59)) * 1000 + Math.round(ms);
  return Kind.Datetime;
}

/**
 * Classifies the bytes buf[start, end) (already without quotes; surrounding blanks are ignored).
 * For numbers and dates the value is left in `classified[0]`.
 */
export function classifyBytes(buf: Uint8Array, start: number, end: number): Kind {
  if (start === end) return Kind.Null;
  let first = buf[start]!;
  if (first === 32 || first === 9 || buf[end - 1] === 32 || buf[end - 1] === 9) {
    while (start < end && (buf[start] === 32 || buf[start] === 9)) start++;
    while (end > start && (buf[end - 1] === 32 || buf[end - 1] === 9)) end--;
    if (start === end) return Kind.Null;
    first = buf[start]!;
  }
  const len = end - start;
  // Null tokens start with n/N, booleans with t/T or f/F: one test rules all of them out.
  const folded = first | 0x20;
  if (len <= 5 && (folded === 110 || folded === 116 || folded === 102)) {
    if (folded === 110) return len >= 2 && isNullWord(buf, start, len) ? Kind.Null : Kind.String;
    if (folded === 116) {
      if (len !== 4 || !isLetter(buf[start + 1]!, 114) || !isLetter(buf[start + 2]!, 117) || !isLetter(buf[start + 3]!, 101)) return Kind.String;
      classified[0] = 1;
      return Kind.Boolean;
    }
    if (len !== 5 || !isLetter(buf[start + 1]!, 97) || !isLetter(buf[start + 2]!, 108) || !isLetter(buf[start + 3]!, 115) || !isLetter(buf[start + 4]!, 101)) {
      return Kind.String;
    }
    classified[0] = 0;
    return Kind.Boolean;
  }

  // Numbers: [+-] digits [. digits] [e [+-] digits]
  let p = start;
  if (first === 43 || first === 45) p++;
  let mantissa = 0;
  const intStart = p;
  for (; p < end; p++) {
    const d = buf[p]! - 48;
    if (d < 0 || d > 9) break;
    mantissa = mantissa * 10 + d;
  }
  const intDigits = p - intStart;
  let fraction = 0;
  if (p < end && buf[p] === 46) {
    p++;
    const fracStart = p;
    for (; p < end; p++) {
      const d = buf[p]! - 48;
      if (d < 0 || d > 9) break;
      mantissa = mantissa * 10 + d;
    }
    fraction = p - fracStart;
  }
  const digits = intDigits + fraction;
  if (digits > 0) {
    let exponent = false;
    if (p < end && (buf[p] === 101 || buf[p] === 69)) {
      let q = p + 1;
      if (q < end && (buf[q] === 43 || buf[q] === 45)) q++;
      const expStart = q;
      while (q < end && isDigit(buf[q]!)) q++;
      if (q > expStart) {
        exponent = true;
        p = q;
      }
    }
    if (p === end) {
      if (digits <= 15 && !exponent) {
        // Exact fast path: an integer mantissa below 2^53 divided by an exact power of ten rounds correctly.
        const v = fraction === 0 ? mantissa : mantissa / POW10[fraction]!;
        classified[0] = first === 45 ? -v : v;
      } else {
        classified[0] = Number(decoder.decode(buf.subarray(start, end)));
      }
      return !exponent && fraction === 0 && buf[end - 1] !== 46 ? Kind.Integer : Kind.Number;
    }
  }
  if (len >= 10 && first >= 48 && first <= 57 && buf[start + 4] === 45) return classifyDate(buf, start, len);
  return Kind.String;
}

const encoder = new TextEncoder();
export let scratch = new Uint8Array(1024);

/** Encodes a string into a reusable buffer; returns its byte length (for classifying and hashing strings). */
export function encodeScratch(text: string): number {
  if (text.length * 3 > scratch.length) scratch = new Uint8Array(text.length * 3 + 16);
  return encoder.encodeInto(text, scratch).written;
}

/** The value classifyBytes/classifyString left for the last number, boolean (1/0), date or datetime (epoch ms). */
export function classifiedValue(): number {
  return classified[0]!;
}

export function classifyString(text: string): Kind {
  const n = encodeScratch(text);
  return classifyBytes(scratch, 0, n);
}
