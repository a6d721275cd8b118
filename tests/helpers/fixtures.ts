import { newRun } from '../../src/utils/modellab/runLifecycle';
import { CreateRunBody } from '../../src/utils/modellab/schemas';
import { newId, nowIso } from '../../src/utils/modellab/ids';
import type { CreateRunInput, Dataset, Run } from '../../src/utils/modellab/types';

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
