// The fastify app behind both the HTTP and the HTTPS port (DESIGN.md §2): the security gate, CORS for the
// host's own origins only, the WCS push API, WHIP, the studio routes, the OpenAPI document and the static
// studio. `buildApp` is used with `inject` by the route tests and with real servers by server.ts.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerFactory } from 'fastify';
import { originOf } from './csp.js';
import type { RestDeps } from './deps.js';
import { errorHandler } from './errors.js';
import { buildOpenApi } from './openapi.js';
import { registerPushRoutes } from './push.js';
import { registerRecordingRoutes } from '../recording/routes.js';
import { registerSceneRoutes } from '../scenes/routes.js';
import { ALL_ROUTES, OPENAPI_ROUTE } from './schemas.js';
import { checkRequest, isApiPath, originAllowed } from './security.js';
import { registerStatic } from './static.js';
import { registerMediaUpload, registerStudioRoutes } from './studio.js';
import { registerWhipRoutes } from './whip.js';

export interface AppOptions {
  /** rest_max_body_bytes: JSON bodies above it get 413. */
  bodyLimit: number;
  serverFactory?: FastifyServerFactory;
}

const PREFLIGHT_MAX_AGE_S = 600;

export async function buildApp(deps: RestDeps, opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit,
    // Strict types: a WCS script sending "streamName": 5 gets 400, not a silent "5".
    ajv: { customOptions: { coerceTypes: false, allErrors: false, removeAdditional: false, allowUnionTypes: true } },
    // secure-json-parse: `__proto__` / `constructor.prototype` keys are refused (400).
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    // Errors fastify raises before routing (a URL that does not decode, a bad Content-Type header) get the
    // same {"error": sentence} body as every other refusal, not fastify's own shape.
    frameworkErrors: (error, _req, reply) => {
      const body = JSON.stringify({ error: `the request is not valid: ${error.message.slice(0, 200)}` });
      void (reply as FastifyReply).code(error.statusCode ?? 400).type('application/json').send(body);
    },
    ...(opts.serverFactory ? { serverFactory: opts.serverFactory } : {}),
  });
  app.setErrorHandler(errorHandler(deps.log));
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]!.slice(0, 200)}` });
  });
  installGate(app, deps);
  // The root context parses JSON only: text/plain and the rest get 415.
  app.removeContentTypeParser(['text/plain']);

  registerPushRoutes(app, deps);
  registerStudioRoutes(app, deps);
  registerRecordingRoutes(app, deps);
  registerSceneRoutes(app, deps);
  await app.register(async (child) => registerWhipRoutes(child, deps));
  await app.register(async (child) => registerMediaUpload(child, deps));
  const openapi = buildOpenApi(ALL_ROUTES, deps.version);
  app.get(OPENAPI_ROUTE.url, async () => openapi);
  registerStatic(app, deps.staticDir, () => originOf(deps.info().previewBaseUrl));
  return app;
}

/**
 * The path the token rule judges. The router decodes percent-escapes ("/%61pi/info" reaches /api/info), so
 * the matched route decides, not the raw URL; an API route pattern, or a raw or decoded URL that names one,
 * counts as API. A URL that does not decode is judged as API (refused without the token).
 */
export function gatedPath(rawUrl: string, routeUrl: string | undefined): string {
  if (routeUrl !== undefined && isApiPath(routeUrl)) return routeUrl;
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawUrl);
  } catch {
    return '/api/undecodable';
  }
  return isApiPath(decoded) ? decoded : rawUrl;
}

/** Host, Origin and token checks on every request; CORS headers for our own origins only. */
function installGate(app: FastifyInstance, deps: RestDeps): void {
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    const refusal = checkRequest(
      { host: req.headers.host, origin, authorization: req.headers.authorization, path: gatedPath(req.url, req.routeOptions.url) },
      deps.security,
    );
    if (refusal) {
      deps.log('http.refused', { status: refusal.status, method: req.method, remote: req.ip });
      return reply.code(refusal.status).send({ error: refusal.error });
    }
    if (origin !== undefined && originAllowed(origin, deps.security)) {
      // Expose-Headers belongs on the actual response (Fetch §3.2.3): a WHIP page of another allowed origin
      // reads the session's Location from the 201.
      void reply.header('access-control-allow-origin', origin).header('vary', 'Origin').header('access-control-expose-headers', 'location, etag');
      if (req.method === 'OPTIONS') {
        return reply
          .code(204)
          .header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE')
          .header('access-control-allow-headers', 'authorization, content-type, if-match')
          .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_S))
          .send();
      }
    }
    return undefined;
  });
}
