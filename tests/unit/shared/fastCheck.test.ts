/**
 * A schema's hand-written fast check (withFastCheck) accepts nothing its zod schema refuses, and what
 * it accepts is what the schema outputs; valid bodies do take the fast path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAST_CHECK, type FastChecked, LogMetricsBody, MAX_METRIC_POINTS_PER_REQUEST } from '../../../src/shared/contract/schemas';

const accepts = (LogMetricsBody as FastChecked)[FAST_CHECK]!;

const odd = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constant(-0),
  fc.constant(1.5),
  fc.constant(-1),
  fc.constant(2 ** 53),
  fc.constant(8.64e15),
  fc.constant(8.64e15 + 1),
  fc.constant(Number.MAX_SAFE_INTEGER),
  fc.constant(''),
  fc.constant('x'.repeat(250)),
  fc.constant('x'.repeat(251)),
  fc.constant([]),
  fc.constant({}),
  fc.constant(true),
  fc.integer(),
  fc.double(),
  fc.string(),
);
/** Mostly the valid thing, sometimes an odd value, sometimes absent. */
const field = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: odd, weight: 1 }, { arbitrary: fc.constant(ABSENT), weight: 1 });
const ABSENT = Symbol('absent');
const point = fc
  .tuple(
    field(fc.string({ minLength: 1, maxLength: 8 })),
    field(fc.double({ noNaN: true, noDefaultInfinity: true })),
    fc.oneof(fc.constant(ABSENT), field(fc.nat())),
    fc.oneof(fc.constant(ABSENT), field(fc.nat())),
    fc.oneof({ arbitrary: fc.constant(ABSENT), weight: 20 }, { arbitrary: odd, weight: 1 }),
  )
  .map(([key, value, step, timestamp, extra]) => {
    const p: Record<string, unknown> = {};
    for (const [k, v] of Object.entries({ key, value, step, timestamp, extra })) if (v !== ABSENT) p[k] = v;
    return p;
  });
const body = fc.oneof(
  { arbitrary: fc.record({ metrics: fc.array(point, { maxLength: 4 }) }), weight: 10 },
  { arbitrary: fc.record({ metrics: fc.array(point, { maxLength: 3 }), other: odd }), weight: 1 },
  { arbitrary: fc.array(point), weight: 1 },
  { arbitrary: odd, weight: 1 },
);

describe('LogMetricsBody fast check', () => {
  it('accepts only what the schema accepts, unchanged', () => {
    let accepted = 0;
    let valid = 0;
    fc.assert(
      fc.property(body, (raw) => {
        // What a JSON body can be: no undefined values, no -0.
        const value: unknown = raw === undefined ? null : JSON.parse(JSON.stringify(raw));
        const parsed = LogMetricsBody.safeParse(value);
        if (parsed.success) valid++;
        if (accepts(value)) {
          accepted++;
          expect(parsed.success).toBe(true);
          expect(parsed.data).toEqual(value);
        }
      }),
      { numRuns: 3000, seed: Number(process.env.FC_SEED ?? 20261205) },
    );
    // The generator reaches both sides, and every valid body it made took the fast path.
    expect(accepted).toBeGreaterThan(50);
    expect(accepted).toBe(valid);
  });

  it('takes the fast path for valid batches, up to the size limit', () => {
    const full = { metrics: Array.from({ length: MAX_METRIC_POINTS_PER_REQUEST }, (_, i) => ({ key: `k${i % 3}`, value: i / 7, step: i, timestamp: 1_700_000_000_000 + i })) };
    expect(accepts(full)).toBe(true);
    expect(accepts({ metrics: [{ key: 'loss', value: 0.5 }] })).toBe(true);
    expect(accepts({ metrics: [...full.metrics, full.metrics[0]] })).toBe(false);
    expect(accepts({ metrics: [] })).toBe(false);
    expect(accepts({ metrics: [{ key: 'loss', value: 0.5, unit: 's' }] })).toBe(false);
    expect(accepts(JSON.parse('{"metrics":[{"key":"a","value":1}],"__proto__":{}}'))).toBe(false);
  });
});
