// Schema-first REST (after fastify/demo): every route's body and every response are JSON schemas, listed
// here. Fastify validates and serializes with them, and openapi.ts turns the same table into the OpenAPI 3.1
// document. The shapes the studio and the SDK also use (the transponder, its bodies, media files, targets,
// host info) are declared once in src-contract/ (TypeBox), which the renderer imports as well; DESIGN.md §4
// is the contract they write down.
import Type from 'typebox';
import type { TSchema } from 'typebox';
import { HostInfo, MediaList, Target, TargetList } from '../../src-contract/studio.js';
import { FindBody, MediaSessionBody, SoundOnBody, StartupBody, Transponder } from '../../src-contract/transponder.js';
import { Recording, RecordingFileList, RecordingIdBody, RecordingList, RecordingStartupBody } from '../../src-contract/recording.js';
import { SCENES_ROUTES } from '../scenes/specs.js';

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

const transponderList = Type.Array(Transponder);

const err = (description: string): ResponseSpec => ({ description, schema: errorSchema });
const E400 = err('Malformed body: bad JSON, wrong types, missing fields, a bad rtmpUrl.');
const E401 = err('rest_auth_token is set and the bearer token is missing or wrong.');
const E403 = err('Foreign Host (DNS rebinding) or foreign Origin.');
const E404 = err('No such transponder.');
const E413 = err('Body larger than rest_max_body_bytes.');
const E415 = err('The body is not application/json.');
const COMMON = { 401: E401, 403: E403, 413: E413, 415: E415 };

/** A WCS push method; the spec keeps the body schema's own type, so handlers and tests can take types from it. */
function push<B extends JsonSchema | undefined, R extends Record<number, ResponseSpec>>(
  method: string,
  summary: string,
  body: B,
  responses: R,
): RouteSpec & { body?: B; responses: R & typeof COMMON } {
  const spec: RouteSpec & { body?: B; responses: R & typeof COMMON } = {
    method: 'POST',
    url: `/rest-api/push/${method}`,
    operationId: `push_${method}`,
    summary,
    tag: 'push (WCS)',
    responses: { ...responses, ...COMMON },
  };
  if (body) spec.body = body;
  else spec.bodyOptional = true;
  return spec;
}

const OK_ONE = { description: 'The transponder.', schema: Transponder } satisfies ResponseSpec;

export const PUSH_ROUTES = {
  startup: push(
    'startup',
    'Start a transponder: push a published stream to an RTMP/RTMPS URL.',
    StartupBody,
    {
      200: OK_ONE,
      400: E400,
      404: err('No published stream of that name, or the options name a sound file that does not exist.'),
      409: err('A transponder of this stream to this rtmpUrl exists.'),
    },
  ),
  find: push(
    'find',
    'Find transponders by source or published stream name, rtmpUrl or mediaSessionId (all given must match).',
    FindBody,
    { 200: { description: 'The matching transponders.', schema: transponderList }, 400: E400, 404: err('No transponder matches.') },
  ),
  find_all: push('find_all', 'List every transponder.', undefined, {
    200: { description: 'Every transponder.', schema: transponderList },
    400: err('The body, if any, is not valid JSON.'),
    404: err('There is no transponder.'),
  }),
  terminate: push('terminate', 'End a transponder (FCUnpublish, deleteStream).', MediaSessionBody, { 200: OK_ONE, 400: E400, 404: E404 }),
  mute: push('mute', 'Send silence instead of the source audio.', MediaSessionBody, { 200: OK_ONE, 400: E400, 404: E404 }),
  unmute: push('unmute', 'Send the source audio again.', MediaSessionBody, { 200: OK_ONE, 400: E400, 404: E404 }),
  sound_on: push(
    'sound_on',
    'Mix a WAV file of the media folder into the transponder audio.',
    SoundOnBody,
    {
      200: OK_ONE,
      400: err('soundFile is not a bare file name of the media folder, or not a WAV file we can read.'),
      404: err('No such transponder, or no such file in the media folder.'),
    },
  ),
  sound_off: push('sound_off', 'Stop the injected sound.', MediaSessionBody, { 200: OK_ONE, 400: E400, 404: E404 }),
} as const satisfies Record<string, RouteSpec>;

/** The official WCS REST client (flashphoner-rest-api.js) sends a call without arguments as a body-less GET. */
export const PUSH_GET_ROUTES = {
  find_all: {
    method: 'GET',
    url: '/rest-api/push/find_all',
    operationId: 'push_find_all_get',
    summary: 'List every transponder (the body-less GET the official WCS REST client sends).',
    tag: 'push (WCS)',
    responses: {
      200: { description: 'Every transponder.', schema: transponderList },
      401: E401,
      403: E403,
      404: err('There is no transponder.'),
    },
  },
} as const satisfies Record<string, RouteSpec>;

export const WHIP_ROUTES = {
  publish: {
    method: 'POST',
    url: '/whip/:streamName',
    operationId: 'whip_publish',
    summary: 'WHIP (RFC 9725): publish a stream with an SDP offer.',
    tag: 'whip',
    body: { type: 'string' },
    bodyContentType: 'application/sdp',
    responses: {
      201: { description: 'The SDP answer; Location names the session.', schema: { type: 'string' }, contentType: 'application/sdp' },
      400: err('The offer is not an SDP offer we can answer, or the stream name is not usable.'),
      401: E401,
      403: E403,
      409: err('That stream name is being published.'),
      413: E413,
      415: err('The body is not application/sdp.'),
    },
  },
  trickle: {
    method: 'PATCH',
    url: '/whip/:streamName/:sessionId',
    operationId: 'whip_trickle',
    summary: 'WHIP (RFC 9725 §4.3): trickle ICE — more candidates for the session, as an SDP fragment (RFC 8840).',
    tag: 'whip',
    body: { type: 'string' },
    bodyContentType: 'application/trickle-ice-sdpfrag',
    responses: {
      204: { description: 'The candidates were handed to the ICE agent (ones it cannot use are discarded silently).' },
      400: err('The SDP fragment is malformed, or names an m-section the session does not have.'),
      401: E401,
      403: E403,
      404: err('No such WHIP session.'),
      412: err('If-Match names another ICE session than the one in the ETag of the 201.'),
      413: E413,
      415: err('The body is not application/trickle-ice-sdpfrag.'),
      422: err('New ICE credentials: an ICE restart, which is not supported; the session keeps its ICE session.'),
      428: err('No If-Match: a PATCH must carry the ETag of the 201 (or "*").'),
      501: err('The ingest behind this host takes no trickle ICE.'),
    },
  },
  unpublish: {
    method: 'DELETE',
    url: '/whip/:streamName/:sessionId',
    operationId: 'whip_unpublish',
    summary: 'WHIP: end the session (the stream is unpublished).',
    tag: 'whip',
    responses: {
      200: { description: 'Ended.' },
      400: err('A body that does not parse (DELETE needs none).'),
      401: E401,
      403: E403,
      404: err('No such WHIP session.'),
      415: err('A body that is not application/sdp (DELETE needs none).'),
    },
  },
} as const satisfies Record<string, RouteSpec>;

/** RFC 9725 §4.2: methods other than OPTIONS/POST on the endpoint URL and other than PATCH/DELETE on the session URL are 405. */
function whipNotAllowed(method: RouteSpec['method'], url: string, what: string): RouteSpec {
  return {
    method,
    url,
    operationId: `whip_${what}_${method.toLowerCase()}`,
    summary: `WHIP: ${method} is reserved on the ${what} URL by RFC 9725 §4.2 (405, with Allow).`,
    tag: 'whip',
    responses: {
      401: E401,
      403: E403,
      405: err('Not a method of this WHIP URL.'),
      ...(method === 'GET' ? {} : { 400: err('A body that does not parse.'), 413: E413, 415: err('A body of another type than SDP.') } as Record<number, ResponseSpec>),
    },
  };
}

export const WHIP_NOT_ALLOWED = {
  endpointGet: whipNotAllowed('GET', '/whip/:streamName', 'endpoint'),
  endpointPut: whipNotAllowed('PUT', '/whip/:streamName', 'endpoint'),
  endpointPatch: whipNotAllowed('PATCH', '/whip/:streamName', 'endpoint'),
  endpointDelete: whipNotAllowed('DELETE', '/whip/:streamName', 'endpoint'),
  sessionGet: whipNotAllowed('GET', '/whip/:streamName/:sessionId', 'session'),
  sessionPost: whipNotAllowed('POST', '/whip/:streamName/:sessionId', 'session'),
  sessionPut: whipNotAllowed('PUT', '/whip/:streamName/:sessionId', 'session'),
} as const satisfies Record<string, RouteSpec>;

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
const STUDIO_COMMON = { 401: E401, 403: E403 };

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

/** Local recordings (docs/DECISIONS.md "Recording"), beside the WCS push API and in its style: POST with a JSON body. */
function recording(method: 'GET' | 'POST', name: string, summary: string, body: JsonSchema | undefined, responses: Record<number, ResponseSpec>): RouteSpec {
  const spec: RouteSpec = {
    method,
    url: `/rest-api/recording/${name}`,
    operationId: `recording_${name}${method === 'GET' && name === 'find_all' ? '_get' : ''}`,
    summary,
    tag: 'recording',
    responses: method === 'POST' ? { ...responses, 401: E401, 403: E403, 413: E413, 415: E415 } : { ...responses, 401: E401, 403: E403 },
  };
  if (body) spec.body = body;
  else if (method === 'POST') spec.bodyOptional = true;
  return spec;
}

const OK_RECORDING = { description: 'The recording.', schema: Recording } satisfies ResponseSpec;
const RECORDING_LIST = { description: 'Every recording: the live ones and the last ended ones.', schema: RecordingList } satisfies ResponseSpec;

export const RECORDING_ROUTES = {
  startup: recording(
    'POST',
    'startup',
    'Start recording what a transponder sends (mediaSessionId) or a published stream (streamName) to <recordings_dir>/<stream>-<YYYYMMDD-HHMMSS>.flv, remuxed to .mp4 on stop.',
    RecordingStartupBody,
    {
      200: OK_RECORDING,
      400: err('Neither mediaSessionId nor streamName, wrong types, or a streamName the transponder does not send.'),
      404: err('No transponder with that mediaSessionId, or no published stream of that name.'),
      500: err('The recording file could not be created in the recordings folder (the sentence says why).'),
    },
  ),
  terminate: recording('POST', 'terminate', 'Stop a recording; answers once its file is finalized (the MP4, or the FLV kept when the remux failed).', RecordingIdBody, {
    200: OK_RECORDING,
    400: E400,
    404: err('No recording with that recordingId.'),
  }),
  find_all: recording('POST', 'find_all', 'List the recordings (an empty list when there is none).', undefined, {
    200: RECORDING_LIST,
    400: err('The body, if any, is not valid JSON.'),
  }),
  find_all_get: recording('GET', 'find_all', 'List the recordings (body-less GET).', undefined, { 200: RECORDING_LIST }),
  files: recording('GET', 'files', 'The MP4 and FLV files of the recordings folder, with size, duration when it reads, and creation time.', undefined, {
    200: { description: 'The folder and its recordings.', schema: RecordingFileList },
  }),
} as const satisfies Record<string, RouteSpec>;

export const OPENAPI_ROUTE: RouteSpec = {
  method: 'GET',
  url: '/rest-api/openapi.json',
  operationId: 'openapi',
  summary: 'This document.',
  tag: 'meta',
  // Under /rest-api/, so the same gate applies: a foreign Host or Origin (403), no token when one is set (401).
  responses: { 200: { description: 'OpenAPI 3.1.', schema: { type: 'object' } }, 401: E401, 403: E403 },
};

export const ALL_ROUTES: RouteSpec[] = [
  ...Object.values(PUSH_ROUTES),
  ...Object.values(PUSH_GET_ROUTES),
  ...Object.values(WHIP_ROUTES),
  ...Object.values(WHIP_NOT_ALLOWED),
  ...Object.values(STUDIO_ROUTES),
  ...Object.values(RECORDING_ROUTES),
  ...Object.values(SCENES_ROUTES),
  OPENAPI_ROUTE,
];

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
