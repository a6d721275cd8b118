/**
 * The one error type. The engine throws it for domain failures (unknown id, forbidden transition),
 * the API's error middleware turns it into `{"error": {code, message, details?}}` with `status`.
 * No Express or Node imports: the browser client reuses it for failed responses.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (message: string, details?: unknown) =>
  new AppError(400, 'invalid_request', message, details);
export const unauthorized = (message = 'Missing or invalid bearer token') =>
  new AppError(401, 'unauthorized', message);
export const forbidden = (message: string) => new AppError(403, 'forbidden', message);
export const notFound = (entity: string, id: string) =>
  new AppError(404, 'not_found', `${entity} '${id}' does not exist`, { entity, id });
export const conflict = (message: string, details?: unknown) =>
  new AppError(409, 'conflict', message, details);
export const payloadTooLarge = (message: string) => new AppError(413, 'payload_too_large', message);
export const unsupportedMediaType = (message: string) =>
  new AppError(415, 'unsupported_media_type', message);
export const unprocessable = (message: string, details?: unknown) =>
  new AppError(422, 'unprocessable_entity', message, details);
export const corruptRecord = (entity: string, id: string) =>
  new AppError(
    500,
    'corrupt_record',
    `${entity} '${id}' is stored in an unreadable form; it is kept untouched in db.json for manual repair`,
    { entity, id },
  );
