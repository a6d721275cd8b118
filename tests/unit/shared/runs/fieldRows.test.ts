/**
 * A run's field rows hold, for every field a filter can name, exactly the values the in-memory
 * filter reads (fieldAccessor): one row per present value (several for dataset inputs), none for a
 * missing one, with the number, text and boolean readings the comparisons use.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldKey, fieldRowsOf } from '../../../../src/shared/runs/fieldRows';
import { fieldAccessor, isMany } from '../../../../src/shared/runs/filter';
import { makeRun } from '../../../helpers/fixtures';
import { FIELDS, fieldOf, run } from '../../../helpers/filterArbitraries';

const context = { artifactLocation: (id: string) => `mlflow-artifacts:/${id}` };

describe('fieldRowsOf', () => {
  it('holds what fieldAccessor reads, field by field', () => {
    fc.assert(
      fc.property(run, (r) => {
        const rows = fieldRowsOf(r, context);
        for (const text of FIELDS) {
          const field = fieldOf(text);
          const read = fieldAccessor(field, context)(r);
          const values = (isMany(field) ? (read as unknown[]) : [read]).filter((v) => v !== undefined && v !== null && typeof v !== 'function');
          const mine = rows.filter((row) => row.field === fieldKey(field));
          expect(mine.map((row) => row.text), text).toEqual(values.map((v) => (typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v))));
        }
      }),
      { numRuns: 400, seed: Number(process.env.FC_SEED ?? 5122026) },
    );
  });

  it('reads numbers, texts and booleans as the comparisons do', () => {
    const r = makeRun({ name: 'x', hyperparameters: { a: ' 1e3 ', b: '0x10', c: 'NaN', d: '', e: true, f: 'false', g: [1, 2], h: { k: 1 } } });
    const byField = new Map(fieldRowsOf(r, context).map((row) => [row.field, row]));
    const at = (path: string) => byField.get(fieldKey(fieldOf(`params.${path}`)))!;
    expect(at('a')).toMatchObject({ num: 1000, text: ' 1e3 ', bool: null });
    expect(at('b')).toMatchObject({ num: 16, bool: null });
    expect(at('c')).toMatchObject({ num: null, text: 'NaN' });
    expect(at('d')).toMatchObject({ num: null, text: '' });
    expect(at('e')).toMatchObject({ num: null, text: 'true', bool: true });
    expect(at('f')).toMatchObject({ bool: false });
    expect(at('g')).toMatchObject({ text: '[1,2]', num: null });
    expect(at('g.length')).toMatchObject({ num: 2 });
    expect(at('h')).toMatchObject({ text: '{"k":1}' });
    expect(byField.has(fieldKey(fieldOf('params.h.constructor')))).toBe(false);
  });
});
