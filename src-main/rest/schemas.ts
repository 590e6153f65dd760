// Schema-first REST (after fastify/demo): every route's body and every response are JSON schemas, listed
// here. Fastify validates and serializes with them, and openapi.ts turns the same table into the OpenAPI 3.1
// document. The shapes the studio and the SDK also use (the transponder, its bodies, media files, targets,
// host info) are declared once in src-contract/ (TypeBox), which the renderer imports as well; docs/DESIGN.md §4
// is the contract they write down.
//
// The route table is split by API: the WCS push methods and the recordings here, WHIP in schemas-whip.ts, the
// studio's /api/* in schemas-studio.ts, the shared shapes and error responses in route-spec.ts.
import Type from 'typebox';
import { FindBody, MediaSessionBody, SoundOnBody, StartupBody, Transponder } from '../../src-contract/transponder.js';
import { Recording, RecordingFileList, RecordingIdBody, RecordingList, RecordingStartupBody } from '../../src-contract/recording.js';
import { COMMON, E400, E401, E403, E404, E413, E415, err, type JsonSchema, type ResponseSpec, type RouteSpec } from './route-spec.js';
import { STUDIO_ROUTES } from './schemas-studio.js';
import { WHIP_NOT_ALLOWED, WHIP_ROUTES } from './schemas-whip.js';
import { SCENES_ROUTES } from '../scenes/specs.js';

export { errorSchema, fastifySchema, type JsonSchema, type ResponseSpec, type RouteSpec } from './route-spec.js';
export { STUDIO_ROUTES } from './schemas-studio.js';
export { WHIP_NOT_ALLOWED, WHIP_ROUTES } from './schemas-whip.js';

const transponderList = Type.Array(Transponder);

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
