// WHIP (RFC 9725): the endpoint and session URLs, and the methods RFC 9725 reserves on them.
import { E401, E403, E413, err, type ResponseSpec, type RouteSpec } from './route-spec.js';

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
