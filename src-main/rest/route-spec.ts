// The shapes of the REST route table (schemas.ts) and the error responses every route shares; fastifySchema
// turns a route's spec into what fastify validates and serializes with.
import type { TSchema } from 'typebox';

export type JsonSchema = Readonly<Record<string, unknown>> | TSchema;

export interface ResponseSpec {
  description: string;
  schema?: JsonSchema;
  /** Default application/json. */
  contentType?: string;
}

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify path syntax (`:param`). */
  url: string;
  operationId: string;
  summary: string;
  tag: string;
  body?: JsonSchema;
  /** Default application/json when body is set. */
  bodyContentType?: string;
  /** True when the body may be left out. */
  bodyOptional?: boolean;
  responses: Record<number, ResponseSpec>;
}

export const errorSchema: JsonSchema = {
  type: 'object',
  properties: { error: { type: 'string', description: 'What is wrong, in one sentence.' } },
  required: ['error'],
};

export const err = (description: string): ResponseSpec => ({ description, schema: errorSchema });
export const E400 = err('Malformed body: bad JSON, wrong types, missing fields, a bad rtmpUrl.');
export const E401 = err('rest_auth_token is set and the bearer token is missing or wrong.');
export const E403 = err('Foreign Host (DNS rebinding) or foreign Origin.');
export const E404 = err('No such transponder.');
export const E413 = err('Body larger than rest_max_body_bytes.');
export const E415 = err('The body is not application/json.');
export const COMMON = { 401: E401, 403: E403, 413: E413, 415: E415 };
export const STUDIO_COMMON = { 401: E401, 403: E403 };

/** The fastify `schema` of a route: body and every JSON response. */
export function fastifySchema(spec: RouteSpec): Record<string, unknown> {
  const response: Record<number, JsonSchema> = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    if (r.schema && (r.contentType ?? 'application/json') === 'application/json') response[Number(status)] = r.schema;
  }
  const schema: Record<string, unknown> = { response };
  if (spec.body && (spec.bodyContentType ?? 'application/json') === 'application/json') schema.body = spec.body;
  return schema;
}
