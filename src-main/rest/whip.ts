// WHIP (RFC 9725): `POST /whip/<streamName>` with an SDP offer → 201, the answer, and a Location whose
// DELETE ends the session (RFC 9725 §4.2). Non-trickle: the offer carries its candidates. This plugin only
// parses application/sdp bodies (anything else: 415).
import type { FastifyInstance } from 'fastify';
import { redactName } from '../../src-relay/redact.js';
import { StreamNameInUseError } from '../../src-relay/streams.js';
import { IngestError } from '../../src-relay/webrtc/sdp.js';
import type { RestDeps } from './deps.js';
import { HttpError } from './errors.js';
import { WHIP_ROUTES } from './schemas.js';

const SDP_TYPE = 'application/sdp';
/** An offer is a few KB; 256 KB leaves room for many candidates. */
const MAX_SDP_BYTES = 256 * 1024;
const MAX_STREAM_NAME = 256;

/** A usable stream name: 1–256 characters, no control characters, no slash. */
export function checkStreamName(name: string): void {
  if (name.length === 0 || name.length > MAX_STREAM_NAME || /[\x00-\x1f\x7f/\\]/.test(name)) {
    throw new HttpError(400, `stream name must be 1–${MAX_STREAM_NAME} characters without "/" or control characters`);
  }
}

export function registerWhipRoutes(app: FastifyInstance, deps: RestDeps): void {
  /** sessionId → streamName of the WHIP sessions we created (their Location). */
  const sessions = new Map<string, string>();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(SDP_TYPE, { parseAs: 'string', bodyLimit: MAX_SDP_BYTES }, (_req, body, done) => done(null, body));

  app.post<{ Params: { streamName: string }; Body: string }>(WHIP_ROUTES.publish.url, async (req, reply) => {
    const { streamName } = req.params;
    checkStreamName(streamName);
    if (typeof req.body !== 'string' || !req.body.startsWith('v=0')) throw new HttpError(400, 'the body is not an SDP offer (it must start with "v=0")');
    let published;
    try {
      published = await deps.ingest.publish(streamName, req.body);
    } catch (err) {
      if (err instanceof IngestError) throw new HttpError(400, `the offer cannot be answered: ${err.message}`);
      throw err;
    }
    const { sessionId, answerSdp, stream } = published;
    sessions.set(sessionId, streamName);
    stream.once('end', () => sessions.delete(sessionId));
    deps.log('whip_publish', { streamName: redactName(streamName), sessionId, remote: req.ip });
    const location = `/whip/${encodeURIComponent(streamName)}/${sessionId}`;
    return reply.code(201).header('location', location).type(SDP_TYPE).send(answerSdp);
  });

  app.delete<{ Params: { streamName: string; sessionId: string } }>(WHIP_ROUTES.unpublish.url, async (req) => {
    const { streamName, sessionId } = req.params;
    if (sessions.get(sessionId) !== streamName || !deps.ingest.unpublish(sessionId, 'STOPPED_BY_PUBLISHER_STOP')) {
      throw new HttpError(404, 'no such WHIP session');
    }
    sessions.delete(sessionId);
    return {};
  });
}
