// `/rest-api/recording/*`: local recordings (docs/DECISIONS.md "Recording") on the relay's RecordingService,
// in the style of the WCS push API beside it: POST with a JSON body, `find_all` also as a body-less GET.
import type { FastifyInstance } from 'fastify';
import type { RecordingIdBody, RecordingStartupBody } from '../../src-contract/recording.js';
import { RecordingError, type RecordingService } from '../../src-relay/index.js';
import type { RestDeps } from '../rest/deps.js';
import { HttpError } from '../rest/errors.js';
import { RECORDING_ROUTES, fastifySchema } from '../rest/schemas.js';

/** The service, or a 404 saying this host does not record (only hosts built without it, e.g. route tests). */
function service(deps: RestDeps, what: string): RecordingService {
  if (!deps.recordings) throw new HttpError(404, `${what}: this host does not record`);
  return deps.recordings;
}

/** The relay's refusals as HTTP ones; a file that cannot be created is a 500 that says why. */
async function answer<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RecordingError) throw new HttpError(error.status, error.message);
    if (error instanceof Error && /recording file could not be created/.test(error.message)) throw new HttpError(500, error.message);
    throw error;
  }
}

export function registerRecordingRoutes(app: FastifyInstance, deps: RestDeps): void {
  const R = RECORDING_ROUTES;
  app.post<{ Body: RecordingStartupBody }>(R.startup.url, { schema: fastifySchema(R.startup) }, async (req) => {
    const { mediaSessionId, streamName } = req.body;
    if (mediaSessionId === undefined && streamName === undefined) {
      throw new HttpError(400, 'recording startup needs mediaSessionId (a transponder to mirror) or streamName (a published stream)');
    }
    const recording = await answer(() => service(deps, 'no recording can start').startup({ mediaSessionId, streamName }));
    deps.log('rest.recording_startup', { recordingId: recording.recordingId, stream: recording.streamName, file: recording.file });
    return recording;
  });

  app.post<{ Body: RecordingIdBody }>(R.terminate.url, { schema: fastifySchema(R.terminate) }, async (req) => {
    const recordings = service(deps, `no recording with recordingId "${req.body.recordingId.slice(0, 256)}"`);
    return answer(() => recordings.terminate(req.body.recordingId));
  });

  const findAll = async () => deps.recordings?.list() ?? [];
  app.post(R.find_all.url, { schema: fastifySchema(R.find_all) }, findAll);
  app.get(R.find_all_get.url, { schema: fastifySchema(R.find_all_get) }, findAll);

  app.get(R.files.url, { schema: fastifySchema(R.files) }, async () => deps.recordings?.files() ?? { dir: '', files: [] });
}
