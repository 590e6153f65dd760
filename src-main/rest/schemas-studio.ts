// The studio's own API (/api/*): settings, targets, media, host info (docs/DESIGN.md §4).
import Type from 'typebox';
import { HostInfo, MediaList, Target, TargetList } from '../../src-contract/studio.js';
import { E413, E415, STUDIO_COMMON, err, type JsonSchema, type RouteSpec } from './route-spec.js';

const settingView: JsonSchema = {
  type: 'object',
  properties: {
    key: { type: 'string' },
    value: { type: 'string' },
    default: { type: 'string' },
    description: { type: 'string' },
    type: { type: 'string' },
    restart: { type: 'boolean' },
    overridden: { type: 'boolean' },
    min: { type: 'integer' },
    max: { type: 'integer' },
    error: { type: 'string' },
  },
  required: ['key', 'value', 'default', 'description'],
};
const settingsResponse: JsonSchema = {
  type: 'object',
  properties: {
    settings: { type: 'array', items: settingView },
    file: { type: 'string' },
    issues: { type: 'array', items: { type: 'string' } },
  },
  required: ['settings', 'file'],
};
/** PUT /api/targets validates `kind` itself (parseTargets), so that a refusal names the target and the field. */
const targetsBody = Type.Array(Type.Object({ ...Target.properties, kind: Type.String() }));

export const STUDIO_ROUTES = {
  getSettings: {
    method: 'GET',
    url: '/api/settings',
    operationId: 'settings_get',
    summary: 'Every setting with its value, default, description and error.',
    tag: 'studio',
    responses: { 200: { description: 'The settings.', schema: settingsResponse }, ...STUDIO_COMMON },
  },
  putSettings: {
    method: 'PUT',
    url: '/api/settings',
    operationId: 'settings_put',
    summary: 'Change settings ({key: value}); saved in the file with its comments kept. null resets a key.',
    tag: 'studio',
    body: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean', 'null', 'array'] } },
    responses: {
      200: { description: 'The settings after the change.', schema: settingsResponse },
      400: {
        description: 'A refused value: the sentence, and the setting it is about in `key` (absent when the body itself is malformed).',
        schema: {
          type: 'object',
          properties: { error: { type: 'string', description: 'What is wrong, in one sentence.' }, key: { type: 'string', description: 'The refused setting.' } },
          required: ['error'],
        },
      },
      413: E413,
      415: E415,
      ...STUDIO_COMMON,
    },
  },
  getMedia: {
    method: 'GET',
    url: '/api/media',
    operationId: 'media_list',
    summary: 'The WAV files of the media folder.',
    tag: 'studio',
    responses: { 200: { description: 'The files.', schema: MediaList }, ...STUDIO_COMMON },
  },
  putMedia: {
    method: 'PUT',
    url: '/api/media/:name',
    operationId: 'media_put',
    summary: 'Add a WAV file to the media folder.',
    tag: 'studio',
    body: { type: 'string', format: 'binary' },
    bodyContentType: 'audio/wav',
    responses: {
      200: { description: 'The files after the upload.', schema: MediaList },
      400: err('Not a bare .wav name, or not a WAV file we can read.'),
      413: E413,
      415: err('The body is not audio/wav.'),
      ...STUDIO_COMMON,
    },
  },
  getTargets: {
    method: 'GET',
    url: '/api/targets',
    operationId: 'targets_get',
    summary: 'The saved targets, with their keys.',
    tag: 'studio',
    responses: {
      200: { description: 'The targets.', schema: TargetList },
      500: err('The saved targets file is damaged; the sentence says where it is and what to do.'),
      ...STUDIO_COMMON,
    },
  },
  putTargets: {
    method: 'PUT',
    url: '/api/targets',
    operationId: 'targets_put',
    summary: 'Replace the saved targets.',
    tag: 'studio',
    body: targetsBody,
    responses: {
      200: { description: 'The targets as saved.', schema: TargetList },
      400: err('Names the bad target and field.'),
      413: E413,
      415: E415,
      ...STUDIO_COMMON,
    },
  },
  info: {
    method: 'GET',
    url: '/api/info',
    operationId: 'info',
    summary: 'Version, the embedded RTMP server, the folders.',
    tag: 'studio',
    responses: {
      200: { description: 'About this host.', schema: HostInfo },
      ...STUDIO_COMMON,
    },
  },
} as const satisfies Record<string, RouteSpec>;
