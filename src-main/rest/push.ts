// `POST /rest-api/push/*`: the Flashphoner WCS REST dialect (docs/DESIGN.md §4), on the relay's TransponderService,
// as WCS's own REST client calls it (body-less `GET find_all`, `application/json;charset=UTF-8`). JSON only:
// this plugin accepts no other Content-Type (415).
import type { FastifyInstance } from 'fastify';
import { checkRtmpUrlSyntax } from '../../src-contract/rtmp-url.js';
import type { FindBody, MediaSessionBody, SoundOnBody, StartupBody } from '../../src-contract/transponder.js';
import { redactUrl, type StartupRequest, type TransponderJSON, type TransponderOptions } from '../../src-relay/index.js';
import type { RestDeps } from './deps.js';
import { HttpError } from './errors.js';
import { PUSH_GET_ROUTES, PUSH_ROUTES, fastifySchema } from './schemas.js';
import { loadSound } from './sounds.js';

/** The rtmpUrl syntax every caller shares, and a host that resolves; else 400 with the reason. */
export async function checkRtmpUrl(rtmpUrl: string, deps: Pick<RestDeps, 'resolveHost'>): Promise<void> {
  const parsed = checkRtmpUrlSyntax(rtmpUrl, 'rtmpUrl');
  if (!parsed.ok) throw new HttpError(400, parsed.error);
  await deps.resolveHost(parsed.url.hostText.replace(/^\[|\]$/g, ''));
}

function findOne(deps: RestDeps, mediaSessionId: string): TransponderJSON {
  const found = deps.transponders.find({ mediaSessionId });
  if (found.length === 0) throw new HttpError(404, `no transponder with mediaSessionId "${mediaSessionId}"`);
  return found[0]!;
}

/** Keeps the options we understand: unknown keys of other WCS versions are ignored, not echoed back. */
function knownOptions(given: TransponderOptions): TransponderOptions {
  const options: TransponderOptions = {};
  if (given.action !== undefined) options.action = given.action;
  if (given.soundFile !== undefined) options.soundFile = given.soundFile;
  if (given.loop !== undefined) options.loop = given.loop;
  if (given.audioCodec !== undefined) options.audioCodec = given.audioCodec;
  if (given.quality !== undefined) options.quality = given.quality;
  if (given.maxBitrateKbps !== undefined) options.maxBitrateKbps = given.maxBitrateKbps;
  if (given.maxHeight !== undefined) options.maxHeight = given.maxHeight;
  if (given.adaptive !== undefined) options.adaptive = given.adaptive;
  if (given.videoCodecs !== undefined) options.videoCodecs = given.videoCodecs;
  if (given.maxKeyframeIntervalMs !== undefined) options.maxKeyframeIntervalMs = given.maxKeyframeIntervalMs;
  return options;
}

async function startup(deps: RestDeps, body: StartupBody): Promise<TransponderJSON> {
  // A malformed request is 400 whatever the state of the server: check the body before looking the stream up.
  await checkRtmpUrl(body.rtmpUrl, deps);
  const options = knownOptions(body.options ?? {});
  if (options.action === 'sound_on' && options.soundFile === undefined) {
    throw new HttpError(400, 'options.action "sound_on" needs options.soundFile');
  }
  if (!deps.registry.get(body.streamName)) {
    throw new HttpError(404, `no published stream named "${body.streamName.slice(0, 256)}"`);
  }
  const sound = options.action === 'sound_on' ? await loadSound(deps.mediaDir(), options.soundFile!) : undefined;
  const request: StartupRequest = { streamName: body.streamName, rtmpUrl: body.rtmpUrl, options };
  if (body.rtmpTransponderFullUrl !== undefined) request.rtmpTransponderFullUrl = body.rtmpTransponderFullUrl;
  if (body.rtmpFlashVersion !== undefined) request.rtmpFlashVersion = body.rtmpFlashVersion;
  if (body.noPrefix !== undefined) request.noPrefix = body.noPrefix;
  const transponder = deps.transponders.startup(request, sound);
  deps.log('rest.startup', { mediaSessionId: transponder.mediaSessionId, rtmpUrl: redactUrl(body.rtmpUrl) });
  return transponder;
}

export function registerPushRoutes(app: FastifyInstance, deps: RestDeps): void {
  const R = PUSH_ROUTES;
  app.post<{ Body: StartupBody }>(R.startup.url, { schema: fastifySchema(R.startup) }, (req) => startup(deps, req.body));

  app.post<{ Body: FindBody }>(R.find.url, { schema: fastifySchema(R.find) }, async (req) => {
    const query: FindBody = {};
    if (req.body.streamName !== undefined) query.streamName = req.body.streamName;
    if (req.body.rtmpUrl !== undefined) query.rtmpUrl = req.body.rtmpUrl;
    if (req.body.mediaSessionId !== undefined) query.mediaSessionId = req.body.mediaSessionId;
    if (Object.keys(query).length === 0) throw new HttpError(400, 'find needs at least one of streamName, rtmpUrl, mediaSessionId');
    const found = deps.transponders.find(query);
    if (found.length === 0) throw new HttpError(404, 'no transponder matches');
    return found;
  });

  const findAll = async (): Promise<TransponderJSON[]> => {
    const all = deps.transponders.list();
    if (all.length === 0) throw new HttpError(404, 'there is no transponder');
    return all;
  };
  app.post(R.find_all.url, { schema: fastifySchema(R.find_all) }, findAll);
  app.get(PUSH_GET_ROUTES.find_all.url, { schema: fastifySchema(PUSH_GET_ROUTES.find_all) }, findAll);

  app.post<{ Body: MediaSessionBody }>(R.terminate.url, { schema: fastifySchema(R.terminate) }, async (req) => {
    const transponder = findOne(deps, req.body.mediaSessionId);
    await deps.transponders.terminate(transponder.mediaSessionId);
    deps.log('rest.terminate', { mediaSessionId: transponder.mediaSessionId });
    return { ...transponder, status: 'STOPPED', info: 'STOPPED_BY_REST_TERMINATE' };
  });

  for (const [route, muted] of [[R.mute, true], [R.unmute, false]] as const) {
    app.post<{ Body: MediaSessionBody }>(route.url, { schema: fastifySchema(route) }, async (req) => {
      findOne(deps, req.body.mediaSessionId);
      return deps.transponders.setMuted(req.body.mediaSessionId, muted);
    });
  }

  app.post<{ Body: SoundOnBody }>(R.sound_on.url, { schema: fastifySchema(R.sound_on) }, async (req) => {
    findOne(deps, req.body.mediaSessionId);
    const sound = await loadSound(deps.mediaDir(), req.body.soundFile);
    return deps.transponders.soundOn(req.body.mediaSessionId, sound, req.body.loop ?? false);
  });

  app.post<{ Body: MediaSessionBody }>(R.sound_off.url, { schema: fastifySchema(R.sound_off) }, async (req) => {
    findOne(deps, req.body.mediaSessionId);
    return deps.transponders.soundOff(req.body.mediaSessionId);
  });
}
