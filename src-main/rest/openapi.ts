// The OpenAPI 3.1 document of `/rest-api/openapi.json`, generated from the same route table that fastify
// validates with (schemas.ts), so the two cannot drift apart.
import type { JsonSchema, RouteSpec } from './schemas.js';

export function buildOpenApi(routes: readonly RouteSpec[], version: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Castbridge host API',
      version,
      description:
        'WCS-compatible /rest-api/push/* (Flashphoner Web Call Server dialect), WHIP, and the studio routes. ' +
        'Every error body is {"error": "..."}; a bearer token is needed when rest_auth_token is set.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    // Optional: none on a loopback host without rest_auth_token, the bearer token otherwise (OpenAPI 3.1 §4.8.10).
    security: [{}, { bearer: [] }],
    paths,
  };
}

function operation(route: RouteSpec): Record<string, unknown> {
  const op: Record<string, unknown> = {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    responses: Object.fromEntries(
      Object.entries(route.responses).map(([status, r]) => [
        status,
        r.schema ? { description: r.description, content: { [r.contentType ?? 'application/json']: { schema: r.schema } } } : { description: r.description },
      ]),
    ),
  };
  const params = [...route.url.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  if (params.length > 0) op.parameters = params;
  if (route.body) {
    op.requestBody = {
      required: route.bodyOptional !== true,
      content: { [route.bodyContentType ?? 'application/json']: { schema: route.body } },
    };
  }
  return op;
}
