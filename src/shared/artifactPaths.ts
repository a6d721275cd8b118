/**
 * Artifact path rules, checked before any path is joined (and again after resolving, in artifacts.ts).
 * Pure: the UI uses the same rules to say what is wrong before uploading.
 */
import { ARTIFACT_CATEGORIES } from './contract/constants';
import { badRequest } from './errors';

export type ArtifactCategory = (typeof ARTIFACT_CATEGORIES)[number];

const BY_EXTENSION: Record<string, ArtifactCategory> = {};
for (const ext of ['pt', 'pth', 'ckpt', 'h5', 'keras', 'safetensors', 'onnx', 'pkl', 'joblib', 'bin']) BY_EXTENSION[ext] = 'checkpoints';
for (const ext of ['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp']) BY_EXTENSION[ext] = 'plots';
BY_EXTENSION.json = 'evaluations';
for (const ext of ['html', 'md', 'pdf', 'txt']) BY_EXTENSION[ext] = 'reports';

const extensionOf = (name: string) => {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
};

export function defaultCategory(filename: string): ArtifactCategory {
  return BY_EXTENSION[extensionOf(filename)] ?? 'other';
}

const CONTENT_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  webp: 'image/webp',
  json: 'application/json',
  html: 'text/html; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  pdf: 'application/pdf',
  onnx: 'application/octet-stream',
};

export function contentTypeOf(filename: string): string {
  return CONTENT_TYPES[extensionOf(filename)] ?? 'application/octet-stream';
}

export function checkCategory(category: string): ArtifactCategory {
  if (!(ARTIFACT_CATEGORIES as readonly string[]).includes(category)) {
    throw badRequest(`category: must be one of ${ARTIFACT_CATEGORIES.join(', ')}`, { category });
  }
  return category as ArtifactCategory;
}

/** Percent-encoded dot, slash, backslash, percent (double encoding) or NUL, in any case. */
const ENCODED_TRICKS = /%(2e|2f|5c|25|00)/i;

/**
 * Validates a path inside a category ("epoch-3/model.pt"): relative, '/'-separated, no empty, '.'
 * or '..' segment, no backslash, NUL or control character, no encoded dots or slashes. Returns the
 * segments. Throws 400 naming the field.
 */
export function checkRelativePath(path: string, field = 'path'): string[] {
  const fail = (why: string): never => {
    throw badRequest(`${field}: ${why}`, { [field]: path });
  };
  if (typeof path !== 'string' || path.length === 0) fail('must not be empty');
  if (path.length > 1024) fail('must be at most 1024 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) fail('must not contain NUL or control characters');
  if (path.includes('\\')) fail('must not contain backslashes');
  if (ENCODED_TRICKS.test(path)) fail('must not contain percent-encoded dots, slashes or percent signs');
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) fail('must be relative (no leading / or drive letter)');
  const segments = path.split('/');
  for (const segment of segments) {
    if (segment === '') fail('must not contain empty segments (//) or end with /');
    if (segment === '.' || segment === '..') fail("must not contain '.' or '..' segments");
    if (segment.length > 255) fail('segments must be at most 255 characters');
  }
  return segments;
}

/** Splits "<category>/<path>" (as in download URLs and artifact records) and checks both parts. */
export function parseArtifactPath(full: string): { category: ArtifactCategory; segments: string[]; path: string } {
  const segments = checkRelativePath(full);
  if (segments.length < 2) throw badRequest('path: must be <category>/<file>', { path: full });
  return { category: checkCategory(segments[0]!), segments: segments.slice(1), path: full };
}
