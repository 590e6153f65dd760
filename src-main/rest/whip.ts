// WHIP (RFC 9725): `POST /whip/<streamName>` with an SDP offer → 201, the answer, a Location naming the
// session and an ETag naming its ICE session (§4.2). The session URL takes DELETE (ends it) and PATCH with
// an application/trickle-ice-sdpfrag body (§4.3): new candidates → 204; new credentials (an ICE restart,
// which we do not perform) → 422, the session going on with its ICE session. Other methods on either URL
// are 405, reserved by §4.2. This plugin parses only SDP and SDP-fragment bodies (anything else: 415).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { IngestError, redactName } from '../../src-relay/index.js';
import type { RestDeps } from './deps.js';
import { HttpError } from './errors.js';
import { WHIP_NOT_ALLOWED, WHIP_ROUTES } from './schemas.js';

const SDP_TYPE = 'application/sdp';
const SDPFRAG_TYPE = 'application/trickle-ice-sdpfrag';
/** An offer is a few KB; 256 KB leaves room for many candidates. */
const MAX_SDP_BYTES = 256 * 1024;
const MAX_STREAM_NAME = 256;

/** A usable stream name: 1–256 characters, no control characters, no slash. */
export function checkStreamName(name: string): void {
  if (name.length === 0 || name.length > MAX_STREAM_NAME || /[\x00-\x1f\x7f/\\]/.test(name)) {
    throw new HttpError(400, `stream name must be 1–${MAX_STREAM_NAME} characters without "/" or control characters`);
  }
}

interface WhipSession {
  streamName: string;
  /** RFC 9110 §8.8.3 strong entity-tag of the session's ICE session (never changes: no ICE restarts). */
  etag: string;
}

/**
 * RFC 9725 §4.3.1 with RFC 9110 §13.1.1: a trickle PATCH names the ICE session it is for. Missing → 428,
 * another ICE session's tag → 412; `*` matches any (the form an ICE restart uses).
 */
export function checkIfMatch(header: string | string[] | undefined, etag: string): void {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value === undefined || value.trim() === '') {
    throw new HttpError(428, `PATCH needs If-Match with the session's entity-tag (${etag}) or "*" (RFC 9725 §4.3.1)`);
  }
  // Strong comparison (RFC 9110 §13.1.1): a weak tag (W/"…") never matches.
  const tags = value.split(',').map((t) => t.trim());
  if (!tags.includes('*') && !tags.includes(etag)) {
    throw new HttpError(412, `If-Match ${value.slice(0, 100)} does not match the session's ICE session ${etag}`);
  }
}

export function registerWhipRoutes(app: FastifyInstance, deps: RestDeps): void {
  const sessions = new Map<string, WhipSession>();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(SDP_TYPE, { parseAs: 'string', bodyLimit: MAX_SDP_BYTES }, (_req, body, done) => done(null, body));
  app.addContentTypeParser(SDPFRAG_TYPE, { parseAs: 'string', bodyLimit: MAX_SDP_BYTES }, (_req, body, done) => done(null, body));

  const sessionOf = (req: FastifyRequest<{ Params: { streamName: string; sessionId: string } }>): WhipSession => {
    const session = sessions.get(req.params.sessionId);
    if (!session || session.streamName !== req.params.streamName) throw new HttpError(404, 'no such WHIP session');
    return session;
  };

  app.post<{ Params: { streamName: string }; Body: string }>(WHIP_ROUTES.publish.url, async (req, reply) => {
    const { streamName } = req.params;
    checkStreamName(streamName);
    if (req.headers['content-type']?.split(';')[0]?.trim().toLowerCase() !== SDP_TYPE) {
      throw new HttpError(415, `unsupported Content-Type "${(req.headers['content-type'] ?? 'none').slice(0, 100)}"; send ${SDP_TYPE}`);
    }
    if (typeof req.body !== 'string' || !req.body.startsWith('v=0')) throw new HttpError(400, 'the body is not an SDP offer (it must start with "v=0")');
    let published;
    try {
      published = await deps.ingest.publish(streamName, req.body);
    } catch (err) {
      if (err instanceof IngestError) throw new HttpError(400, `the offer cannot be answered: ${err.message}`);
      throw err;
    }
    const { sessionId, answerSdp, stream } = published;
    const etag = `"${randomUUID()}"`;
    sessions.set(sessionId, { streamName, etag });
    stream.once('end', () => sessions.delete(sessionId));
    deps.log('whip.publish', { streamName: redactName(streamName), sessionId, remote: req.ip });
    const location = `/whip/${encodeURIComponent(streamName)}/${sessionId}`;
    return reply.code(201).header('location', location).header('etag', etag).header('accept-patch', SDPFRAG_TYPE).type(SDP_TYPE).send(answerSdp);
  });

  app.patch<{ Params: { streamName: string; sessionId: string }; Body: string }>(WHIP_ROUTES.trickle.url, async (req, reply) => {
    const session = sessionOf(req);
    if (req.headers['content-type']?.split(';')[0]?.trim().toLowerCase() !== SDPFRAG_TYPE) {
      throw new HttpError(415, `unsupported Content-Type "${(req.headers['content-type'] ?? 'none').slice(0, 100)}"; send ${SDPFRAG_TYPE}`);
    }
    checkIfMatch(req.headers['if-match'], session.etag);
    if (!deps.ingest.trickle) throw new HttpError(501, 'this host does not take trickle ICE');
    let result;
    try {
      result = await deps.ingest.trickle(req.params.sessionId, typeof req.body === 'string' ? req.body : '');
    } catch (err) {
      if (err instanceof IngestError) throw new HttpError(400, err.message);
      throw err;
    }
    if (result.kind === 'unknown-session') throw new HttpError(404, 'no such WHIP session');
    if (result.kind === 'ice-restart') {
      throw new HttpError(422, 'ICE restart is not supported: the session keeps its ICE session (new credentials in the SDP fragment); DELETE it and publish again');
    }
    return reply.code(204).send();
  });

  app.delete<{ Params: { streamName: string; sessionId: string } }>(WHIP_ROUTES.unpublish.url, async (req) => {
    const { sessionId } = req.params;
    sessionOf(req);
    if (!deps.ingest.unpublish(sessionId, 'STOPPED_BY_PUBLISHER_STOP')) throw new HttpError(404, 'no such WHIP session');
    sessions.delete(sessionId);
    return {};
  });

  for (const route of Object.values(WHIP_NOT_ALLOWED)) {
    const allow = route.url.endsWith(':sessionId') ? 'PATCH, DELETE' : 'OPTIONS, POST';
    app.route({
      method: route.method,
      url: route.url,
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        void reply.header('allow', allow);
        throw new HttpError(405, `${req.method} is not used on this WHIP URL (RFC 9725 §4.2 reserves it); allowed: ${allow}`);
      },
    });
  }
}
