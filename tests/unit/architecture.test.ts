/**
 * The rooms of the code base, checked on every import: browser code (src/, outside src/shared)
 * imports neither server code (api/) nor Node's modules; shared code (src/shared) imports neither
 * browser nor server code, nor Node, nor a UI or server library; and outside a module's folder only
 * its index is imported (schemaDetector, evalHarness, storage, latencyProfiler); routes reach the
 * store, the files and the event bus only through services.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const rel = (p: string) => path.relative(ROOT, p).split(path.sep).join('/');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|tsx|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** Every module specifier a file imports (static, dynamic, re-exports, `import type`). */
export function importsOf(text: string): string[] {
  const specs: string[] = [];
  const patterns = [/(?:^|\s)(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]/g, /(?:^|\s)import\s*['"]([^'"]+)['"]/g, /import\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of text.matchAll(re)) specs.push(m[1]!);
  return specs;
}

const NODE = new Set(builtinModules);
const isNode = (spec: string) => spec.startsWith('node:') || NODE.has(spec.split('/')[0]!);

function resolveRelative(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts'), path.join(base, 'index.tsx')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      /* next */
    }
  }
  return base;
}

const MODULES = ['src/shared/schemaDetector', 'src/shared/evalHarness', 'api/storage', 'api/latencyProfiler'];
/** Libraries shared code may use (pure, run anywhere). */
const SHARED_PACKAGES = new Set(['zod']);

/** The rule broken by one import of one file, or null. */
export function violation(file: string, spec: string): string | null {
  const from = rel(file);
  const target = resolveRelative(file, spec);
  const to = target === null ? null : rel(target);
  const inShared = from.startsWith('src/shared/');
  const inBrowser = from.startsWith('src/') && !inShared;
  if (inBrowser) {
    if (isNode(spec)) return `browser code imports Node's '${spec}'`;
    if (to?.startsWith('api/')) return `browser code imports server code '${to}'`;
  }
  if (inShared) {
    if (isNode(spec)) return `shared code imports Node's '${spec}'`;
    if (to !== null && !to.startsWith('src/shared/')) return `shared code imports '${to}' from outside src/shared`;
    if (to === null && !SHARED_PACKAGES.has(spec.split('/')[0]!)) return `shared code imports the package '${spec}'`;
  }
  if (from.startsWith('api/routes/') && to !== null && (to.startsWith('api/storage/') || to === 'api/eventBus.ts')) {
    return `a route imports '${to}': routes call services, which own the store, the files and the events`;
  }
  if (to !== null) {
    for (const module of MODULES) {
      const inside = (p: string) => p === module || p.startsWith(`${module}/`);
      if (inside(to) && !inside(from) && to !== `${module}/index.ts`) {
        return `'${to}' is inside ${module}; import the module's index instead`;
      }
    }
  }
  return null;
}

describe('the rooms', () => {
  const files = [...sourceFiles(path.join(ROOT, 'src')), ...sourceFiles(path.join(ROOT, 'api'))];

  it('hold: no import crosses a room or reaches into a module', () => {
    const problems: string[] = [];
    for (const file of files) {
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        const broken = violation(file, spec);
        if (broken) problems.push(`${rel(file)}: ${broken}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('would catch a page importing the server, Node or a module internal, and shared code importing React', () => {
    const page = path.join(ROOT, 'src/pages/Runs.tsx');
    expect(violation(page, '../../api/storage')).toMatch(/browser code imports server code 'api\/storage\/index.ts'/);
    expect(violation(page, 'node:fs')).toMatch(/Node's 'node:fs'/);
    expect(violation(page, 'path')).toMatch(/Node's 'path'/);
    expect(violation(page, '../shared/evalHarness/metrics')).toMatch(/inside src\/shared\/evalHarness/);
    expect(violation(page, '../shared/evalHarness')).toBeNull();
    const shared = path.join(ROOT, 'src/shared/compare/index.ts');
    expect(violation(shared, 'react')).toMatch(/the package 'react'/);
    expect(violation(shared, '../../apiClient')).toMatch(/outside src\/shared/);
    expect(violation(shared, 'zod')).toBeNull();
    const route = path.join(ROOT, 'api/routes/modellab/runs.ts');
    expect(violation(route, '../../storage')).toMatch(/routes call services/);
    expect(violation(route, '../../eventBus')).toMatch(/routes call services/);
    expect(violation(route, '../../services')).toBeNull();
    expect(importsOf("import type { A } from './a';\nexport { b } from \"./b\";\nconst c = await import('./c');\nimport './d';")).toEqual(['./a', './b', './d', './c']);
  });
});
