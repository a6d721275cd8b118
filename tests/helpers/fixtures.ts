import { newRun } from '../../src/shared/runs/lifecycle';
import { CreateRunBody } from '../../src/shared/contract/schemas';
import { newId, nowIso } from '../../src/shared/ids';
import type { CreateRunInput, Dataset, Run } from '../../src/shared/contract/types';

export const NO_GIT = { commit: null, branch: null, dirty: null };

export function makeRun(input: Partial<CreateRunInput> = {}): Run {
  return newRun(CreateRunBody.parse({ name: 'run', ...input }), NO_GIT);
}

export function makeDataset(overrides: Partial<Dataset> = {}): Dataset {
  return {
    id: newId(),
    name: 'iris',
    version: 1,
    checksum: 'a'.repeat(64),
    sizeBytes: 10,
    format: 'csv',
    originalFilename: 'iris.csv',
    rowCount: 1,
    columnCount: 1,
    schema: { columns: [] },
    parentId: null,
    schemaChanges: null,
    description: '',
    tags: [],
    createdAt: nowIso(),
    warnings: [],
    ...overrides,
  };
}
