// One error handler for the whole server (after fastify/demo): every refusal is `{"error": "<sentence>"}`
// with its 4xx status; anything else is our fault, logged, and answered 500 without internals.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type Log, StreamNameInUseError, TransponderError } from '../../src-relay/index.js';

/** A refusal with its HTTP status, thrown by route handlers. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Fastify's own error codes for bodies, mapped to sentences a script author understands. */
const FASTIFY_BODY_ERRORS: Record<string, (e: FastifyError, r: RequestFacts) => string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (_e, r) => `unsupported Content-Type "${(r.contentType ?? 'none').slice(0, 100)}"; send ${expectedType(r.url)}`,
  FST_ERR_CTP_BODY_TOO_LARGE: () => 'the body is larger than rest_max_body_bytes allows',
  FST_ERR_CTP_EMPTY_JSON_BODY: () => 'the body is empty; send a JSON object',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => 'Content-Length does not match the body',
};

interface RequestFacts {
  url: string;
  contentType?: string | undefined;
}

/** The body type a path takes, for the 415 message. */
function expectedType(url: string): string {
  if (url.startsWith('/whip/')) return 'application/sdp';
  if (url.startsWith('/api/media/')) return 'audio/wav (a sound) or image/png, image/jpeg, image/webp (an image)';
  return 'application/json';
}

export function statusAndMessage(error: unknown, request: RequestFacts = { url: '/' }): { status: number; message: string } {
  if (error instanceof HttpError) return { status: error.status, message: error.message };
  if (error instanceof TransponderError) return { status: error.status, message: error.message };
  if (error instanceof StreamNameInUseError) return { status: 409, message: error.message };
  const e = error as FastifyError;
  if (e.validation) return { status: 400, message: `the body is not valid: ${e.message}` };
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    const describe = e.code ? FASTIFY_BODY_ERRORS[e.code] : undefined;
    if (describe) return { status, message: describe(e, request) };
    if (e instanceof SyntaxError || /JSON/i.test(e.message)) return { status: 400, message: `the body is not valid JSON: ${e.message}` };
    return { status, message: e.message };
  }
  return { status: 500, message: 'internal error (see the host log)' };
}

export function errorHandler(log: Log) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): void => {
    const { status, message } = statusAndMessage(error, { url: request.url, contentType: request.headers['content-type'] });
    if (status >= 500) {
      log('http.internal_error', { method: request.method, route: request.routeOptions.url ?? 'unknown', error: (error as Error).message });
    }
    void reply.code(status).type('application/json').send({ error: message });
  };
}
