/** MLflow's search grammar as ModelLab parses it: identifiers, quoting, comparators, errors; order_by. */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../../src/shared/errors';
import { MlflowError, toMlflowError } from '../../../../../api/routes/mlflow/protocol';
import { parseOrderBy, parseSearchFilter } from '../../../../../api/routes/mlflow/search';

describe('parseSearchFilter', () => {
  it('reads prefixed identifiers, quoted and backticked keys, and every comparator', () => {
    expect(
      parseSearchFilter("metrics.acc > 0.9 and params.`learning rate` = '0.01' AND tags.\"team\" != 'nlp' and attributes.status IN ('FINISHED', 'FAILED') and run_name NOT IN ('x') and tags.k ILIKE '%A_' and metrics.loss <= -1e-3"),
    ).toEqual([
      { type: 'metric', key: 'acc', comparator: '>', value: 0.9 },
      { type: 'param', key: 'learning rate', comparator: '=', value: '0.01' },
      { type: 'tag', key: 'team', comparator: '!=', value: 'nlp' },
      { type: 'attribute', key: 'status', comparator: 'IN', value: ['FINISHED', 'FAILED'] },
      { type: 'attribute', key: 'run_name', comparator: 'NOT IN', value: ['x'] },
      { type: 'tag', key: 'k', comparator: 'ILIKE', value: '%A_' },
      { type: 'metric', key: 'loss', comparator: '<=', value: -0.001 },
    ]);
    expect(parseSearchFilter("tags.mlflow.source.name = 'train.py'")).toEqual([{ type: 'tag', key: 'mlflow.source.name', comparator: '=', value: 'train.py' }]);
    expect(parseSearchFilter('')).toEqual([]);
    expect(parseSearchFilter(undefined)).toEqual([]);
  });

  it.each([
    ["metrics.acc > 1 or metrics.acc < 0", /AND only/],
    ["params.lr = 'unterminated", /unterminated quote/],
    ['metrics.acc >', /expected a value/],
    ['metrics.acc 5', /expected a comparator/],
    ["attributes.status IN 'FINISHED'", /expected '\(' after IN/],
    ['metrics. > 1', /expected a key after 'metrics\.'/],
  ])('refuses %s with INVALID_PARAMETER_VALUE', (filter, message) => {
    let error: unknown;
    try {
      parseSearchFilter(filter);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MlflowError);
    expect((error as MlflowError).errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect((error as MlflowError).message).toMatch(message);
  });
});

describe('parseOrderBy', () => {
  it('reads identifiers with an optional direction', () => {
    expect(parseOrderBy(['metrics.`val acc` DESC', 'params.lr', 'attributes.start_time asc', 'name'])).toEqual([
      { type: 'metric', key: 'val acc', ascending: false },
      { type: 'param', key: 'lr', ascending: true },
      { type: 'attribute', key: 'start_time', ascending: true },
      { type: 'attribute', key: 'name', ascending: true },
    ]);
    expect(() => parseOrderBy(['metrics.acc SIDEWAYS'])).toThrow(/expected an identifier and ASC or DESC/);
  });
});

describe('toMlflowError', () => {
  it("maps ModelLab's errors to MLflow's codes, and a full disk to a 507 that says so", () => {
    expect(toMlflowError(new AppError(404, 'not_found', 'Run x not found'))).toMatchObject({ status: 404, errorCode: 'RESOURCE_DOES_NOT_EXIST' });
    expect(toMlflowError(new AppError(422, 'invalid', 'bad'))).toMatchObject({ status: 400, errorCode: 'INVALID_PARAMETER_VALUE' });
    const full = toMlflowError(new AppError(507, 'insufficient_storage', 'The upload could not be stored (ENOSPC): no space left'));
    expect(full).toMatchObject({ status: 507, errorCode: 'INTERNAL_ERROR' });
    expect(full.message).toContain('ENOSPC');
    expect(toMlflowError(new Error('boom'))).toMatchObject({ status: 500, errorCode: 'INTERNAL_ERROR' });
  });
});
