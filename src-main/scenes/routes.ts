// `/api/scenes*` (docs/PROTOCOL.md "Scenes"): list, create or replace, delete, and switch the open studio to
// a scene. Behind the same gate as every studio route (Host, Origin, token: rest/app.ts).
import type { FastifyInstance } from 'fastify';
import type { RestDeps } from '../rest/deps.js';
import { fastifySchema } from '../rest/schemas.js';
import { SCENES_ROUTES } from './specs.js';
import { SceneError } from './validate.js';

export function registerSceneRoutes(app: FastifyInstance, deps: RestDeps): void {
  const R = SCENES_ROUTES;
  app.get(R.list.url, { schema: fastifySchema(R.list) }, async () => deps.scenes.list());

  // The body is checked by checkScene, not by the schema: its refusals name the field in a sentence
  // ("layers[2].x + layers[2].width is 1.2 …"), which a schema error cannot. fastify only checks it is an object.
  const putSchema = { ...fastifySchema(R.put), body: { type: 'object' } };
  app.put<{ Params: { name: string }; Body: unknown }>(R.put.url, { schema: putSchema }, async (req, reply) => {
    try {
      return (await deps.scenes.put(req.params.name, req.body)).scene;
    } catch (err) {
      if (err instanceof SceneError) return reply.code(400).send(err.field === '' ? { error: err.message } : { error: err.message, field: err.field });
      throw err;
    }
  });

  app.delete<{ Params: { name: string } }>(R.delete.url, { schema: fastifySchema(R.delete) }, async (req) => {
    deps.scenes.delete(req.params.name);
    return {};
  });

  app.post<{ Params: { name: string } }>(R.activate.url, { schema: fastifySchema(R.activate) }, async (req) => ({
    active: await deps.scenes.activate(req.params.name),
  }));
}
