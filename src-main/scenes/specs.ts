// The scene routes and the media file route in the route table's form (src-main/rest/schemas.ts): fastify
// validates and answers with these schemas, and the OpenAPI document prints them. The scenes' bodies are
// declared in src-contract/scenes.ts.
import { Scene, SceneActivated, ScenesList } from '../../src-contract/scenes.js';
import type { JsonSchema, ResponseSpec, RouteSpec } from '../rest/schemas.js';

const errorBody: JsonSchema = {
  type: 'object',
  properties: { error: { type: 'string', description: 'What is wrong, in one sentence.' } },
  required: ['error'],
};
const err = (description: string): ResponseSpec => ({ description, schema: errorBody });
const GATE = {
  401: err('rest_auth_token is set and the bearer token is missing or wrong.'),
  403: err('Foreign Host (DNS rebinding) or foreign Origin.'),
};
const BODY = {
  413: err('Body larger than rest_max_body_bytes.'),
  415: err('The body is not application/json.'),
};
const UNKNOWN = err('There is no scene of that name.');

/** A refused scene: the sentence, and the field it is about (`layers[2].width`) for the studio to mark. */
const sceneRefusal: JsonSchema = {
  type: 'object',
  properties: {
    error: { type: 'string', description: 'What is wrong, in one sentence that names the field.' },
    field: { type: 'string', description: 'The refused field, e.g. "layers[2].width"; absent when the body is not JSON.' },
  },
  required: ['error'],
};

export const SCENES_ROUTES = {
  list: {
    method: 'GET',
    url: '/api/scenes',
    operationId: 'scenes_list',
    summary: 'The saved scenes, in order, and the one the studio shows (the ready-made layouts on a first run).',
    tag: 'scenes',
    responses: { 200: { description: 'The scenes.', schema: ScenesList }, ...GATE },
  },
  put: {
    method: 'PUT',
    url: '/api/scenes/:name',
    operationId: 'scenes_put',
    summary: 'Create or replace a scene (its name must be the one in the path). Image layers name PNG, JPEG or WebP files of the media folder.',
    tag: 'scenes',
    body: Scene,
    responses: {
      200: { description: 'The scene as saved.', schema: Scene },
      400: {
        description: 'A refused scene, nothing changed: unknown layer kind, a rectangle outside 0..1 (x + width and y + height included), a missing image file, a file that is not an image, a name that differs from the path.',
        schema: sceneRefusal,
      },
      ...BODY,
      ...GATE,
    },
  },
  delete: {
    method: 'DELETE',
    url: '/api/scenes/:name',
    operationId: 'scenes_delete',
    summary: 'Delete a scene (not the one being shown).',
    tag: 'scenes',
    responses: {
      200: { description: 'Deleted.', schema: { type: 'object' } },
      400: err('A body that does not parse (DELETE needs none).'),
      404: UNKNOWN,
      409: err('It is the scene being shown.'),
      415: err('A body that is not application/json (DELETE needs none).'),
      ...GATE,
    },
  },
  activate: {
    method: 'POST',
    url: '/api/scenes/:name/activate',
    operationId: 'scenes_activate',
    summary: 'Switch the open studio to a scene; answers once the studio has applied it (its transition has started).',
    tag: 'scenes',
    bodyOptional: true,
    responses: {
      200: { description: 'The studio shows the scene.', schema: SceneActivated },
      400: err('The body, if any, is not valid JSON.'),
      404: UNKNOWN,
      409: err('No studio is open to show the scene, or the studio could not show it (its words).'),
      504: err('The studio did not confirm within 5 s.'),
      ...BODY,
      ...GATE,
    },
  },
  getMediaFile: {
    method: 'GET',
    url: '/api/media/:name',
    operationId: 'media_get',
    summary: 'A file of the media folder: a PNG, JPEG or WebP image (Content-Type from its first bytes) or a WAV sound (audio/wav).',
    tag: 'studio',
    responses: {
      200: { description: 'The file.', schema: { type: 'string', format: 'binary' }, contentType: 'application/octet-stream' },
      400: err('Not a bare file name, not an image or .wav name, or an image file whose content is not a PNG, JPEG or WebP image.'),
      404: err('No such file in the media folder.'),
      ...GATE,
    },
  },
} as const satisfies Record<string, RouteSpec>;
