import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  classifiedValue,
  classifyString,
  CsvProfiler,
  DatasetDetector,
  DatasetFormatError,
  type DatasetFormat,
  detectDelimiter,
  diffSchemas,
  DISTINCT_EXACT_LIMIT,
  JsonFormatError,
  Kind,
  RowBuffer,
} from '../../../../src/shared/schemaDetector';

const FIXTURES = path.join(import.meta.dirname, '../../../fixtures/datasets');
const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as {
  csv: { rowCount: number; columns: { name: string; type: string; nullCount: number; distinctCount: number; min?: number | string; max?: number | string; mean?: number; std?: number }[] };
  json: { rowCount: number; columns: { name: string; nullCount: number; mean?: number; std?: number; min?: number; max?: number }[] };
};

/** Runs the detector over `text` fed in chunks of `chunk` bytes (small chunks exercise every boundary). */
function detect(text: string | Uint8Array, format: DatasetFormat = 'csv', chunk = 4096, extra: object = {}) {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const d = new DatasetDetector({ format, ...extra });
  for (let i = 0; i < bytes.length && !d.done; i += chunk) d.push(bytes.subarray(i, i + chunk));
  return d.finish();
}

const column = (result: ReturnType<typeof detect>, name: string) => result.columns.find((c) => c.name === name)!;

describe('classifyString', () => {
  it.each([
    ['42', Kind.Integer],
    ['-7', Kind.Integer],
    ['+3', Kind.Integer],
    ['007', Kind.Integer],
    ['3.14', Kind.Number],
    ['-1e-3', Kind.Number],
    ['.5', Kind.Number],
    ['1.', Kind.Number],
    ['1e5', Kind.Number],
    ['', Kind.Null],
    ['  ', Kind.Null],
    ['NA', Kind.Null],
    ['n/a', Kind.Null],
    ['NULL', Kind.Null],
    ['nan', Kind.Null],
    ['None', Kind.Null],
    ['TRUE', Kind.Boolean],
    ['false', Kind.Boolean],
    ['2024-02-29', Kind.Date],
    ['2023-02-29', Kind.String],
    ['2024-13-01', Kind.String],
    ['2024-01-02T03:04:05Z', Kind.Datetime],
    ['2024-01-02 03:04', Kind.Datetime],
    ['2024-01-02T03:04:05.123+02:00', Kind.Datetime],
    ['2024-01-02T25:00', Kind.String],
    ['1,000', Kind.String],
    ['-', Kind.String],
    ['abc', Kind.String],
    ['12abc', Kind.String],
  ])('%j is kind %i', (text, kind) => {
    expect(classifyString(text)).toBe(kind);
  });
});

/**
 * An independent reading of the same rules, by regular expressions and Date.UTC: the byte-level
 * classifier must agree with it on every generated token (kind and value).
 */
function referenceClassify(raw: string): { kind: Kind; value?: number } {
  const text = raw.replace(/^[ \t]+|[ \t]+$/g, '');
  if (/^(|na|n\/a|nan|null|none)$/i.test(text)) return { kind: Kind.Null };
  if (/^true$/i.test(text)) return { kind: Kind.Boolean, value: 1 };
  if (/^false$/i.test(text)) return { kind: Kind.Boolean, value: 0 };
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return { kind: /^[+-]?\d+$/.test(text) ? Kind.Integer : Kind.Number, value: Number(text) };
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,3}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/.exec(text);
  if (!m) return { kind: Kind.String };
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (mo < 1 || mo > 12 || d < 1 || d > days[mo - 1]!) return { kind: Kind.String };
  const day = new Date(0);
  day.setUTCFullYear(y, mo - 1, d); // (Date.UTC maps years 0–99 to 1900–1999)
  if (m[4] === undefined) return { kind: Kind.Date, value: day.getTime() };
  const [h, mi, sec] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (h > 23 || mi > 59 || sec > 60) return { kind: Kind.String };
  let offset = 0;
  const zone = m[8];
  if (zone && !/^[Zz]$/.test(zone)) {
    const digits = zone.replace(':', '');
    if (Number(digits.slice(1, 3)) > 23) return { kind: Kind.String };
    offset = (zone[0] === '+' ? 1 : -1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5) || 0));
  }
  const ms = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  return { kind: Kind.Datetime, value: day.getTime() + ((h * 60 + mi - offset) * 60 + Math.min(sec, 59)) * 1000 + ms };
}

describe('classifyString against a regular-expression reference', () => {
  it('agrees on kind and value for 40,000 generated tokens', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const pick = <T,>(xs: readonly T[]) => xs[rand(xs.length)]!;
    const digits = (n: number) => Array.from({ length: n }, () => String(rand(10))).join('');
    const flipCase = (t: string) => [...t].map((c) => (rand(2) ? c.toUpperCase() : c.toLowerCase())).join('');
    const pad = (t: string) => pick(['', ' ', '\t']) + t + pick(['', '', ' ', '\t ']);
    const generators = [
      () => flipCase(pick(['na', 'n/a', 'nan', 'null', 'none', 'true', 'false', 'nul', 'nones', 'tru', 'falsy', 'n', 't', 'f', 'n/', 'no', 'nab', 'truE', 'fAlse', 'f/a'])),
      () => pick(['', '+', '-']) + digits(rand(20)) + pick(['', '.', '.' + digits(rand(6))]) + pick(['', '', 'e', 'E-', 'e+' + digits(1 + rand(3)), 'e' + digits(1 + rand(2))]),
      () => `${digits(4)}-${pick(['0', '1'])}${digits(1)}-${pick(['0', '1', '2', '3'])}${digits(1)}`,
      () =>
        `${pick(['1999', '2000', '2023', '2024', '2100', '0000', '0400'])}-${pick(['01', '02', '03', '12', '13', '00'])}-${pick(['01', '28', '29', '30', '31', '32'])}` +
        pick(['T', 't', ' ', 'x']) +
        `${pick(['00', '09', '23', '24'])}:${pick(['00', '30', '59', '60'])}` +
        pick(['', `:${pick(['00', '59', '60', '61'])}`, `:${digits(2)}.${digits(1 + rand(3))}`, `:${digits(2)},${digits(2)}`, ':5', `:${digits(2)}.`]) +
        pick(['', 'Z', 'z', '+02:00', '-0530', '+05', '+24:00', '-03:7', 'ZZ', '+']),
      () => Array.from({ length: rand(12) }, () => pick([...'0123456789.-+eE:TZ /nNaAuUlLtTrRfFsSoO'])).join(''),
    ];
    for (let i = 0; i < 40_000; i++) {
      const token = pad(pick(generators)());
      const want = referenceClassify(token);
      const kind = classifyString(token);
      expect({ token, kind }).toEqual({ token, kind: want.kind });
      if (want.value !== undefined) expect({ token, value: classifiedValue() }).toEqual({ token, value: want.value });
    }
  });
});

describe('detectDelimiter', () => {
  it.each([
    ['a,b,c\n1,2,3\n', ','],
    ['a;b;c\n1;2,5;3\n', ';'],
    ['a\tb\n1\t2\n', '\t'],
    ['a|b|c\n1|2|3\n', '|'],
    ['"x,y";b\n"1,2";3\n', ';'],
  ])('%j → %j', (sample, delimiter) => {
    expect(detectDelimiter(sample)).toBe(delimiter);
  });
});

describe('DatasetDetector on the pandas fixtures', () => {
  const variants: [string, DatasetFormat][] = [
    ['mixed.csv', 'csv'],
    ['mixed-semicolon-crlf-bom.csv', 'csv'],
    ['mixed.tsv', 'tsv'],
    ['mixed-pipe.csv', 'csv'],
  ];
  it.each(variants)('%s matches pandas: types, nulls, distinct counts, min/max/mean/std', (file, format) => {
    const result = detect(readFileSync(path.join(FIXTURES, file)), format, 1000);
    expect(result.rowCount).toBe(expected.csv.rowCount);
    expect(result.warnings).toEqual([]);
    expect(result.columns.map((c) => c.name)).toEqual(expected.csv.columns.map((c) => c.name));
    for (const want of expected.csv.columns) {
      const got = column(result, want.name);
      expect(got.type, want.name).toBe(want.type);
      expect(got.nullCount, want.name).toBe(want.nullCount);
      expect(got.nullable, want.name).toBe(want.nullCount > 0);
      expect(got.distinctCount, want.name).toBe(want.distinctCount);
      if (want.mean !== undefined) {
        expect(got.min).toBe(want.min);
        expect(got.max).toBe(want.max);
        expect(got.mean as number).toBeCloseTo(want.mean, 9);
        expect(got.std as number).toBeCloseTo(want.std!, 8);
      } else if (typeof want.min === 'string') {
        expect(new Date(got.min as string).getTime()).toBe(new Date(want.min).getTime());
        expect(new Date(got.max as string).getTime()).toBe(new Date(want.max as string).getTime());
      }
    }
    expect(column(result, 'city').topValues.map((t) => t.value)).toContain('multi\nline');
    expect(column(result, 'city').examples.length).toBeGreaterThan(0);
  });

  it.each([
    ['records.json', 'json'],
    ['records.jsonl', 'jsonl'],
  ] as const)('%s matches pandas and reports the nested value as a string with a warning', (file, format) => {
    const result = detect(readFileSync(path.join(FIXTURES, file)), format, 777);
    expect(result.rowCount).toBe(expected.json.rowCount);
    for (const want of expected.json.columns) {
      const got = column(result, want.name);
      expect(got.nullCount, want.name).toBe(want.nullCount);
      if (want.mean !== undefined) {
        expect(got.mean as number).toBeCloseTo(want.mean, 9);
        expect(got.std as number).toBeCloseTo(want.std!, 8);
        expect(got.min).toBe(want.min);
      }
    }
    expect(column(result, 'count').type).toBe('integer');
    expect(column(result, 'score').type).toBe('number');
    expect(column(result, 'flag').type).toBe('boolean');
    expect(column(result, 'day').type).toBe('date');
    expect(column(result, 'extra').type).toBe('string');
    expect(column(result, 'extra').examples).toEqual(['{"nested":[1,2]}']);
    expect(result.warnings.join()).toMatch(/Nested .* 'extra'/);
  });
});

describe('CSV edge cases', () => {
  it('reads quoted delimiters, escaped quotes and newlines inside quotes, with CRLF', () => {
    const r = detect('name,note\r\n"Smith, J","said ""hi"""\r\nLee,"two\r\nlines"\r\n', 'csv', 3);
    expect(r.rowCount).toBe(2);
    expect(column(r, 'name').examples).toEqual(['Smith, J', 'Lee']);
    expect(column(r, 'note').examples).toEqual(['said "hi"', 'two\r\nlines']);
  });

  it('skips a BOM and blank lines, and needs no final newline', () => {
    const r = detect('\ufeffa,b\n1,2\n\n3,4', 'csv', 2);
    expect(r.columns.map((c) => c.name)).toEqual(['a', 'b']);
    expect(r.rowCount).toBe(2);
    expect(column(r, 'b').max).toBe(4);
  });

  it('counts ragged rows with their line numbers; missing fields are nulls', () => {
    const r = detect('a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n');
    expect(r.rowCount).toBe(4);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^2 row\(s\) .*line\(s\) 3, 4/);
    expect(column(r, 'c').nullCount).toBe(1);
  });

  it('gives the narrowest type: integers with one decimal become number; dates mixed with datetimes become datetime', () => {
    const r = detect('i,n,d,s\n1,1,2024-01-01,2024-01-01\n2,2.5,2024-01-02T10:00:00Z,hello\n');
    expect(r.columns.map((c) => c.type)).toEqual(['integer', 'number', 'datetime', 'string']);
  });

  it('calls an all-null column a nullable string', () => {
    const r = detect('a,b\n1,\n2,NA\n');
    expect(column(r, 'b')).toMatchObject({ type: 'string', nullable: true, nullCount: 2, distinctCount: 0 });
  });

  it('names empty and duplicate headers, with warnings', () => {
    const r = detect('a,,a\n1,2,3\n');
    expect(r.columns.map((c) => c.name)).toEqual(['a', 'column_2', 'a.1']);
    expect(r.warnings).toHaveLength(2);
  });

  it('counts exactly when chunk boundaries split fields, quotes and CRLF everywhere', () => {
    const text = readFileSync(path.join(FIXTURES, 'mixed-semicolon-crlf-bom.csv'));
    const whole = detect(text, 'csv', text.length);
    for (const chunk of [1, 2, 3, 7, 64]) expect(detect(text, 'csv', chunk).columns).toEqual(whole.columns);
  });

  it('switches to an estimate past the exact distinct limit and says so', () => {
    const n = DISTINCT_EXACT_LIMIT + 20_000;
    let text = 'id,label\n';
    for (let i = 0; i < n; i++) text += `${i},${i % 3 === 0 ? 'x' : `v${i}`}\n`;
    const r = detect(text, 'csv', 65536);
    const id = column(r, 'id');
    expect(id.approximate).toBe(true);
    expect(Math.abs(id.distinctCount - n) / n).toBeLessThan(0.03);
    expect(id.min).toBe(0);
    expect(id.max).toBe(n - 1);
    expect(column(r, 'label').topValues[0]!.value).toBe('x');
  });
});

describe('expected schema', () => {
  it('lists violations with row, column, value and expected type, capped at 100', () => {
    let text = 'a,b\n';
    for (let i = 0; i < 250; i++) text += `${i},${i === 5 ? '' : i % 2 ? 'x' : '1'}\n`;
    const r = detect(text, 'csv', 4096, {
      expected: [
        { name: 'a', type: 'integer' },
        { name: 'b', type: 'integer' },
        { name: 'c', type: 'string' },
      ],
    });
    expect(r.violationCount).toBe(124 + 1 + 1); // 124 odd rows hold "x", the 6th is null, c is missing
    expect(r.violations).toHaveLength(100);
    expect(r.violations[0]).toEqual({ row: null, column: 'c', value: null, expected: 'string', problem: 'missing_column' });
    expect(r.violations[1]).toEqual({ row: 2, column: 'b', value: 'x', expected: 'integer', problem: 'wrong_type' });
    expect(r.violations).toContainEqual({ row: 6, column: 'b', value: null, expected: 'integer (not nullable)', problem: 'null_value' });
  });

  it('accepts integers in a number column, dates in a datetime column and nulls where nullable', () => {
    const r = detect('x,t,s\n1,2024-01-01,\n2.5,2024-01-01T00:00:00Z,a\n', 'csv', 4096, {
      expected: [
        { name: 'x', type: 'number' },
        { name: 't', type: 'datetime' },
        { name: 's', type: 'string', nullable: true },
      ],
    });
    expect(r.violations).toEqual([]);
  });
});

describe('JSON errors', () => {
  const jsonError = (text: string, format: DatasetFormat = 'json') => {
    try {
      detect(text, format, 5);
    } catch (error) {
      return error as JsonFormatError;
    }
    throw new Error('no error');
  };

  it('reports truncated JSON with the byte where it ends', () => {
    const e = jsonError('[{"a": 1}, {"a": ');
    expect(e).toBeInstanceOf(JsonFormatError);
    expect(e.message).toMatch(/truncated.*element 2.*byte 17/);
    expect(e.position.byte).toBe(17);
  });

  it('reports invalid JSON with the element and byte', () => {
    expect(jsonError('[{"a": 1}, {"a": }]').message).toMatch(/element 2 near byte 11/);
    expect(jsonError('[1, 2]').message).toMatch(/Element 1 of the array is not an object/);
    expect(jsonError('{"a": 1}').message).toMatch(/must be an array of objects/);
    expect(jsonError('[{"a":1},]').message).toMatch(/Unexpected '\]'/);
  });

  it('reports the line of invalid JSON Lines', () => {
    expect(jsonError('{"a":1}\n{"a":2\n{"a":3}\n', 'jsonl').message).toMatch(/line 2/);
    expect(jsonError('{"a":1}\n[1]\n', 'jsonl').message).toMatch(/Line 2 is an array/);
  });

  it('handles braces and quotes inside strings', () => {
    const r = detect('[{"a": "}{\\"]["}, {"a": "x"}]', 'json', 3);
    expect(r.rowCount).toBe(2);
    expect(column(r, 'a').examples).toEqual(['}{"][', 'x']);
  });
});

describe('rows longer than a chunk', () => {
  const MB = 1024 * 1024;
  const thrown = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return error as DatasetFormatError;
    }
    throw new Error('expected an error');
  };

  it('reads a 3 MB quoted field with newlines fed in 4 KB chunks, scanning it a bounded number of times', () => {
    const big = `line one\n${'y'.repeat(3 * MB)}\n"quoted"`.replaceAll('"', '""');
    const bytes = new TextEncoder().encode(`id,text\n1,"${big}"\n2,short\n`);
    const csv = new CsvProfiler(',', null);
    for (let i = 0; i < bytes.length; i += 4096) csv.push(bytes.subarray(i, i + 4096));
    csv.end();
    const r = csv.finish();
    expect(r.rowCount).toBe(2);
    expect(csv.line).toBe(6); // the header, the row's three lines, the short row, then the next line
    const text = r.columns.find((c) => c.name === 'text')!;
    expect(text.distinctCount).toBe(2);
    expect(text.topValues.map((v) => String(v.value).length).sort((a, b) => a - b)).toEqual([5, big.length - 2]); // "" unescaped
    // Rescanning the row from its start for every chunk would hand the scanner ~1 GB; doubling keeps it linear.
    expect(csv.scannedBytes).toBeLessThan(4 * bytes.length);
  });

  it('refuses a CSV row longer than the limit, naming the line where it starts (a quote never closed)', () => {
    const text = `a,b\n1,2\n3,"oops\n${'5,6\n'.repeat(400_000)}`; // 1.6 MB after the open quote
    const error = thrown(() => detect(text, 'csv', 65536, { maxRowBytes: MB }));
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect(error.message).toBe('The row starting on line 3 is longer than 1 MB: probably a quote opened there is never closed');
    expect(error.position).toEqual({ line: 3 });
  });

  it('reads a 3 MB JSON line in 4 KB chunks and refuses one longer than the limit', () => {
    const line = JSON.stringify({ a: 'z'.repeat(3 * MB), b: 1 });
    const ok = detect(`${line}\n{"a":"q","b":2}\n`, 'jsonl', 4096);
    expect(ok.rowCount).toBe(2);
    expect(ok.columns.find((c) => c.name === 'b')!.max).toBe(2);
    const error = thrown(() => detect(`{"a":1}\n${line}\n`, 'jsonl', 65536, { maxRowBytes: MB }));
    expect(error).toBeInstanceOf(JsonFormatError);
    expect(error.message).toBe('Line 2 is longer than 1 MB');
  });

  it('refuses a JSON array element larger than the limit, with the byte where it starts', () => {
    const error = thrown(() => detect(`[{"a":1},\n {"a":"${'z'.repeat(2 * MB)}"}]`, 'json', 65536, { maxRowBytes: MB }));
    expect(error).toBeInstanceOf(JsonFormatError);
    expect(error.message).toBe('Element 2 of the array is larger than 1 MB; it starts at byte 11');
  });

  it('grows a pending row by doubling: copies stay within a few times its size', () => {
    const row = new RowBuffer();
    const piece = new Uint8Array(4096).fill(7);
    for (let i = 0; i < 1000; i++) expect(row.append(piece, 8 * MB)).toBe(true);
    expect(row.length).toBe(4096 * 1000);
    expect(row.copied).toBeLessThan(3 * row.length);
    expect(row.append(new Uint8Array(5 * MB), 8 * MB)).toBe(false); // over the limit: refused, nothing added
    expect(row.length).toBe(4096 * 1000);
  });
});

describe('preview rows', () => {
  it('stops after rowLimit rows and keeps them', () => {
    const r = detect('a,b\n1,x\n2,y\n3,z\n', 'csv', 4096, { rowLimit: 2, keepRows: true });
    expect(r.rows).toEqual([
      { a: '1', b: 'x' },
      { a: '2', b: 'y' },
    ]);
    expect(r.truncated).toBe(true);
  });
});

describe('diffSchemas', () => {
  it('lists added, removed and retyped columns', () => {
    const col = (name: string, type: 'integer' | 'string' | 'number') => ({ name, type, nullable: false });
    expect(diffSchemas({ columns: [col('a', 'integer'), col('b', 'string'), col('c', 'integer')] }, { columns: [col('a', 'number'), col('c', 'integer'), col('d', 'string')] })).toEqual({
      added: ['d'],
      removed: ['b'],
      typeChanged: [{ name: 'a', from: 'integer', to: 'number' }],
    });
  });
});
