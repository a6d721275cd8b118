/**
 * The registry's rules, as pure functions over one registered model and its versions (a
 * RegistryEntry): numbering, stage transitions, aliases, what deleting a version takes with it, and
 * the latest version per stage. A store applies them inside one atomic change, so every rule holds
 * under concurrent requests; the JSON store keeps an entry as one record.
 */
import { conflict, notFound, unprocessable } from '../errors';
import type { ModelStage, ModelVersion, RegisteredModel } from '../contract/registry';

export interface RegistryEntry {
  model: RegisteredModel;
  versions: ModelVersion[];
}

export type VersionDraft = Omit<ModelVersion, 'name' | 'version' | 'stage' | 'createdAt' | 'updatedAt'>;

export const versionNotFound = (name: string, version: number) => notFound('model version', `${name}/${version}`);

export function findVersion(entry: RegistryEntry, version: number): ModelVersion {
  const found = entry.versions.find((v) => v.version === version);
  if (!found) throw versionNotFound(entry.model.name, version);
  return found;
}

/** Adds the next version (numbers are never reused: lastVersion + 1). */
export function addVersion(entry: RegistryEntry, draft: VersionDraft, at: string): { entry: RegistryEntry; version: ModelVersion } {
  const number = entry.model.lastVersion + 1;
  const version: ModelVersion = { ...draft, name: entry.model.name, version: number, stage: 'None', createdAt: at, updatedAt: at };
  return { entry: { model: { ...entry.model, lastVersion: number, updatedAt: at }, versions: [...entry.versions, version] }, version };
}

export function changeVersion(entry: RegistryEntry, version: number, change: (current: ModelVersion) => ModelVersion, at: string): { entry: RegistryEntry; version: ModelVersion } {
  const current = findVersion(entry, version);
  const next: ModelVersion = { ...change(structuredClone(current)), name: current.name, version, updatedAt: at };
  return { entry: { model: entry.model, versions: entry.versions.map((v) => (v.version === version ? next : v)) }, version: next };
}

/** Moves a version to a stage; with `archiveExisting`, the model's other versions in that stage go to Archived (MLflow's rule). */
export function transitionStage(entry: RegistryEntry, version: number, stage: ModelStage, archiveExisting: boolean, at: string): { entry: RegistryEntry; version: ModelVersion } {
  findVersion(entry, version);
  const archive = archiveExisting && (stage === 'Staging' || stage === 'Production');
  const versions = entry.versions.map((v): ModelVersion => {
    if (v.version === version) return { ...v, stage, updatedAt: at };
    if (archive && v.stage === stage) return { ...v, stage: 'Archived', updatedAt: at };
    return v;
  });
  return { entry: { model: { ...entry.model, updatedAt: at }, versions }, version: versions.find((v) => v.version === version)! };
}

/** Removes a version and every alias that named it. */
export function removeVersion(entry: RegistryEntry, version: number, at: string): { entry: RegistryEntry; removedAliases: string[] } {
  findVersion(entry, version);
  const removedAliases = Object.entries(entry.model.aliases)
    .filter(([, v]) => v === version)
    .map(([alias]) => alias);
  const aliases = Object.fromEntries(Object.entries(entry.model.aliases).filter(([, v]) => v !== version));
  return { entry: { model: { ...entry.model, aliases, updatedAt: at }, versions: entry.versions.filter((v) => v.version !== version) }, removedAliases };
}

/** Points an alias at a version (moving it if it named another one). */
export function setAlias(entry: RegistryEntry, alias: string, version: number, at: string): RegistryEntry {
  findVersion(entry, version);
  return { model: { ...entry.model, aliases: { ...entry.model.aliases, [alias]: version }, updatedAt: at }, versions: entry.versions };
}

export function deleteAlias(entry: RegistryEntry, alias: string, at: string): RegistryEntry {
  if (!Object.hasOwn(entry.model.aliases, alias)) throw notFound('alias', `${entry.model.name}@${alias}`);
  const aliases = { ...entry.model.aliases };
  delete aliases[alias];
  return { model: { ...entry.model, aliases, updatedAt: at }, versions: entry.versions };
}

/** Renames the model; its versions follow. */
export function renameEntry(entry: RegistryEntry, name: string, at: string): RegistryEntry {
  return { model: { ...entry.model, name, updatedAt: at }, versions: entry.versions.map((v) => ({ ...v, name })) };
}

/** The newest version in each stage, ordered by stage (MLflow's latest_versions). */
export function latestVersions(versions: ModelVersion[], stages?: string[]): ModelVersion[] {
  const wanted = stages && stages.length > 0 ? new Set(stages.map((s) => s.toLowerCase())) : null;
  const byStage = new Map<string, ModelVersion>();
  for (const v of versions) {
    if (wanted && !wanted.has(v.stage.toLowerCase())) continue;
    const best = byStage.get(v.stage);
    if (!best || v.version > best.version) byStage.set(v.stage, v);
  }
  return [...byStage.values()].sort((a, b) => a.version - b.version);
}

/** The aliases that name a version. */
export const aliasesOf = (model: RegisteredModel, version: number): string[] =>
  Object.entries(model.aliases)
    .filter(([, v]) => v === version)
    .map(([alias]) => alias)
    .sort();

/** 409 naming the versions registered from a run (or a logged model) that is about to be deleted. */
export function refuseRegistered(what: string, versions: ModelVersion[]): void {
  if (versions.length === 0) return;
  const names = versions.slice(0, 10).map((v) => `${v.name} v${v.version}`);
  throw conflict(`${what} is registered as ${names.join(', ')}${versions.length > 10 ? ', …' : ''}; delete those model versions first`, {
    versions: versions.map((v) => ({ name: v.name, version: v.version })),
  });
}

export const unknownRegistered = (name: string) => notFound('registered model', name);
export const sourceMissing = (message: string) => unprocessable(message, { field: 'source' });
