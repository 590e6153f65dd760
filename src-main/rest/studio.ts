// The studio's own routes beside the WCS API (docs/PROTOCOL.md): settings, media folder, saved targets,
// and what the host is. JSON bodies, except the WAV upload.
import { mkdir, readdir, stat, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { MediaFile, MediaList } from '../../src-contract/studio.js';
import { SettingsError } from '../config/store.js';
import { TargetError } from '../config/targets.js';
import type { RestDeps } from './deps.js';
import { HttpError } from './errors.js';
import { STUDIO_ROUTES, fastifySchema } from './schemas.js';
import { checkSoundName, decodeSoundAsync, MAX_SOUND_BYTES, wavDurationMs } from './sounds.js';


/** Remember each file's duration per name, size and mtime: a listing reads each header once. */
const durations = new Map<string, { key: string; file: MediaFile }>();

async function describeMedia(dir: string, name: string): Promise<MediaFile | undefined> {
  const info = await stat(join(dir, name)).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  const key = `${dir}\0${info.size}\0${info.mtimeMs}`;
  const cached = durations.get(name);
  if (cached?.key === key) return cached.file;
  let file: MediaFile = { name, size: info.size };
  try {
    if (info.size > MAX_SOUND_BYTES) throw new HttpError(400, `larger than ${MAX_SOUND_BYTES} bytes`);
    file = { ...file, durationMs: await wavDurationMs(join(dir, name), name) };
  } catch (err) {
    file = { ...file, error: (err as Error).message };
  }
  durations.set(name, { key, file });
  return file;
}

async function listMedia(dir: string): Promise<MediaList> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /\.wav$/i.test(n)).sort();
  const files = await Promise.all(names.map((n) => describeMedia(dir, n)));
  return { files: files.filter((f): f is MediaFile => f !== undefined) };
}

function settingsView(deps: RestDeps) {
  return { settings: deps.settings.list(), file: deps.settings.file, issues: deps.settings.issues.map((i) => i.message) };
}

export function registerStudioRoutes(app: FastifyInstance, deps: RestDeps): void {
  const R = STUDIO_ROUTES;
  app.get(R.getSettings.url, { schema: fastifySchema(R.getSettings) }, async () => settingsView(deps));
  app.put<{ Body: Record<string, unknown> }>(R.putSettings.url, { schema: fastifySchema(R.putSettings) }, async (req, reply) => {
    try {
      deps.settings.update(req.body);
    } catch (err) {
      // The key as a field too: the studio marks that field without reading the sentence.
      if (err instanceof SettingsError) return reply.code(400).send({ error: `setting "${err.key}": ${err.message}`, key: err.key });
      throw err;
    }
    deps.log('settings.saved', { keys: Object.keys(req.body).join(',') });
    return settingsView(deps);
  });

  app.get(R.getMedia.url, { schema: fastifySchema(R.getMedia) }, async () => listMedia(deps.mediaDir()));

  app.get(R.getTargets.url, { schema: fastifySchema(R.getTargets) }, async () => {
    try {
      return deps.targets.load();
    } catch (err) {
      // Not the request's fault, but the sentence is what the streamer needs (500 bodies are otherwise bare).
      if (err instanceof TargetError) throw new HttpError(500, err.message);
      throw err;
    }
  });
  app.put<{ Body: unknown }>(R.putTargets.url, { schema: fastifySchema(R.putTargets) }, async (req) => {
    try {
      return deps.targets.save(req.body);
    } catch (err) {
      if (err instanceof TargetError) throw new HttpError(400, err.message);
      throw err;
    }
  });

  app.get(R.info.url, { schema: fastifySchema(R.info) }, async () => deps.info());
}

/** `PUT /api/media/<name>.wav` (audio/wav body): its own plugin, the only one parsing audio/wav. */
export function registerMediaUpload(app: FastifyInstance, deps: RestDeps): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['audio/wav', 'audio/x-wav', 'audio/wave'], { parseAs: 'buffer', bodyLimit: MAX_SOUND_BYTES }, (_req, body, done) =>
    done(null, body),
  );
  app.put<{ Params: { name: string }; Body: Buffer }>(STUDIO_ROUTES.putMedia.url, async (req) => {
    const { name } = req.params;
    checkSoundName(name);
    if (!/\.wav$/i.test(name)) throw new HttpError(400, `media file names end in .wav, got "${name.slice(0, 100)}"`);
    // The whole file is checked once, on upload; asynchronously, so a long one does not stall the host.
    await decodeSoundAsync(name, req.body);
    const dir = deps.mediaDir();
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.${name}.upload`);
    await writeFile(temp, req.body);
    await rename(temp, join(dir, name));
    deps.log('media.added', { name, bytes: req.body.length });
    return listMedia(dir);
  });
}
