/** Differences between two schemas, and checks of values against an expected schema. */
import type { ColumnSchema, ColumnType } from '../contract/types';

export interface SchemaChanges {
  added: string[];
  removed: string[];
  typeChanged: { name: string; from: ColumnType; to: ColumnType }[];
}

export function diffSchemas(parent: { columns: ColumnSchema[] }, child: { columns: ColumnSchema[] }): SchemaChanges {
  const before = new Map(parent.columns.map((c) => [c.name, c.type]));
  const after = new Map(child.columns.map((c) => [c.name, c.type]));
  return {
    added: child.columns.filter((c) => !before.has(c.name)).map((c) => c.name),
    removed: parent.columns.filter((c) => !after.has(c.name)).map((c) => c.name),
    typeChanged: child.columns
      .filter((c) => before.has(c.name) && before.get(c.name) !== c.type)
      .map((c) => ({ name: c.name, from: before.get(c.name)!, to: c.type })),
  };
}

export interface ExpectedColumn {
  name: string;
  type: ColumnType;
  /** Default false: a declared column must not hold nulls unless it says so. */
  nullable?: boolean;
}

export interface SchemaViolation {
  /** 1-based data row (the header is not counted); null for whole-column problems. */
  row: number | null;
  column: string;
  value: string | null;
  expected: string;
  problem: 'missing_column' | 'wrong_type' | 'null_value';
  /** Parallel reading only: the block whose rows `row` counts. */
  block?: number;
}

export const MAX_VIOLATIONS = 100;

/** Expected columns absent from the file, as violations (reported before all others). */
export function missingColumnViolations(expected: ExpectedColumn[] | null | undefined, present: string[]): SchemaViolation[] {
  const names = new Set(present);
  return (expected ?? []).filter((c) => !names.has(c.name)).map((c) => ({ row: null, column: c.name, value: null, expected: c.type, problem: 'missing_column' }));
}

export function raggedRowsWarning(count: number, width: number, firstLines: number[]): string {
  return (
    `${count} row(s) have a different number of fields than the header (${width}); ` +
    `first on line(s) ${firstLines.join(', ')}. Missing fields are treated as nulls, extra fields are ignored.`
  );
}
