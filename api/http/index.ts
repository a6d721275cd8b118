/** HTTP plumbing shared by every router: request validation, the error shape (who may do what: access.ts). */
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { AppError, badRequest, unsupportedMediaType } from '../../src/shared/errors';
import express from 'express';
import { MAX_JSON_DEPTH, rawJsonDepth, tooDeepField } from '../../src/shared/jsonDepth';
import type { ApiErrorBody } from '../../src/shared/contract/types';
import { FAST_CHECK, type FastChecked } from '../../src/shared/contract/schemas';

type Schemas = { body?: z.ZodType; query?: z.ZodType; params?: z.ZodType };
type Parsed<S extends Schemas> = { [K in keyof S]: S[K] extends z.ZodType ? z.output<S[K]> : never };

/** Validates one part of a request (body, query, params, form fields); the first problem becomes 400 "field: message". */
export function parseInput<S extends z.ZodType>(where: string, schema: S, value: unknown): z.output<S> {
  return parsePart(where, schema, value) as z.output<S>;
}

function parsePart(where: string, schema: z.ZodType, value: unknown): unknown {
  if ((schema as FastChecked)[FAST_CHECK]?.(value)) return value; // valid as it is (see withFastCheck)
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  const first = issues[0]!;
  // "name: must not be empty" — the body prefix only when the whole body is the problem.
  const field = first.path === where ? where : first.path.slice(where.length + 1);
  throw badRequest(`${field}: ${first.message}`, { issues });
}

/**
 * A route handler whose inputs are validated first (the first problem becomes 400 "field: message").
 * The handler's return value is sent as JSON unless it already answered.
 */
export function handle<S extends Schemas>(
  schemas: S,
  fn: (input: Parsed<S>, req: Request, res: Response) => unknown,
): RequestHandler {
  return async (req, res) => {
    const input: Record<string, unknown> = {};
    for (const part of ['params', 'query', 'body'] as const) {
      const schema = schemas[part];
      if (schema) input[part] = parsePart(part, schema, req[part]);
    }
    const result = await fn(input as Parsed<S>, req, res);
    if (!res.headersSent) {
      if (result === undefined) res.status(204).end();
      else res.json(result);
    }
  };
}

const hasBody = (req: Request) =>
  (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') ||
  req.headers['transfer-encoding'] !== undefined;

/** Bodies are JSON, except multipart uploads that their own routes parse. */
export const requireJsonOrMultipart: RequestHandler = (req, _res, next) => {
  if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method) || !hasBody(req)) return next();
  if (req.is(['application/json', 'application/*+json', 'multipart/form-data'])) return next();
  next(unsupportedMediaType(`Content-Type '${req.headers['content-type'] ?? '(none)'}' is not supported; send application/json`));
};

const RAW_DEPTH = Symbol('rawJsonDepth');
const RAW_SCAN_FROM = 256 * 1024;

/** express.json() that also notes the raw text's nesting depth, which lets limitJsonDepth skip walking a shallow body. */
export function jsonBody(options: { limit: number; type: string[] | (() => boolean) }): RequestHandler {
  return express.json({
    ...options,
    verify: (req, _res, buf, encoding) => {
      // Only large bodies (a small one's walk is cheaper than a scan of its bytes: a batch of 1,000
      // metric points, measured), and only UTF-8 text: in UTF-16 a byte that looks like a quote may not be one.
      if (buf.length >= RAW_SCAN_FROM && /^utf-?8$/i.test(encoding)) (req as { [RAW_DEPTH]?: number })[RAW_DEPTH] = rawJsonDepth(buf);
    },
  });
}

/**
 * Right after the JSON parser (which does not recurse): a body nested deeper than the limit is
 * refused before validation, storage or presenting (all recursive) see it. 400 naming the field.
 */
export const limitJsonDepth: RequestHandler = (req, _res, next) => {
  const raw = (req as { [RAW_DEPTH]?: number })[RAW_DEPTH];
  if (raw !== undefined && raw <= MAX_JSON_DEPTH) return next(); // the text itself is shallow enough
  const problem = tooDeepField(req.body);
  next(problem ? badRequest(problem.message, { field: problem.field, path: problem.path }) : undefined);
};

/** Errors thrown by body-parser and friends carry `type`/`status`; map them into the one shape. */
export function toAppError(error: unknown): AppError | null {
  if (error instanceof AppError) return error;
  const e = error as { type?: string; status?: number; statusCode?: number; message?: string; limit?: number };
  switch (e?.type) {
    case 'entity.parse.failed':
      return new AppError(400, 'invalid_json', `Request body is not valid JSON: ${e.message}`);
    case 'entity.too.large':
      return new AppError(413, 'payload_too_large', `Request body exceeds the limit of ${e.limit} bytes`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'unsupported_media_type', e.message ?? 'Unsupported encoding');
  }
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(status, 'bad_request', e.message ?? 'Bad request');
  }
  return null;
}

export function errorHandler(log: (message: string, error: unknown) => void): ErrorRequestHandler {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const known = toAppError(error);
    const status = known?.status ?? 500;
    if (!known || status >= 500) log(`${req.method} ${req.originalUrl} failed`, error);
    const body: ApiErrorBody = known
      ? { error: { code: known.code, message: known.message, ...(known.details !== undefined && { details: known.details }) } }
      : { error: { code: 'internal_error', message: 'Internal server error; the server log has the details' } };
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json(body);
  };
}

/**
 * Writes text pieces to the response as they come, waiting whenever the socket's buffer is full (so
 * a large export holds a page in memory, not the file), and stops when the client goes away.
 */
export async function streamText(res: Response, first: string[], rest: AsyncIterable<string>): Promise<void> {
  const write = async (piece: string) => {
    if (!res.write(piece)) await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  };
  for (const piece of first) await write(piece);
  for await (const piece of rest) {
    if (res.destroyed) break;
    await write(piece);
  }
  res.end();
}
