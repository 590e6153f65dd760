// The studio's own routes beside the WCS API (docs/PROTOCOL.md): settings, media folder, saved targets,
// and what the host is. JSON bodies, except the media upload (a WAV sound or a PNG/JPEG/WebP image).
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, realpath, stat, writeFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { MediaFile, MediaImage, MediaList } from '../../src-contract/studio.js';
import { IMAGE_NAME, imageTypeOf, MAX_IMAGE_BYTES, SIGNATURE_BYTES } from '../scenes/images.js';
import { SCENES_ROUTES } from '../scenes/specs.js';
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

/** The image type a file's first bytes show; undefined when it is none of PNG, JPEG, WebP. */
async function imageTypeOfFile(path: string) {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(SIGNATURE_BYTES);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return imageTypeOf(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

async function describeImage(dir: string, name: string): Promise<MediaImage | undefined> {
  const info = await stat(join(dir, name)).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  const type = await imageTypeOfFile(join(dir, name)).catch(() => undefined);
  return type ? { name, size: info.size, type } : { name, size: info.size, error: 'not a PNG, JPEG or WebP image' };
}

async function listMedia(dir: string): Promise<MediaList> {
  const all = (await readdir(dir).catch(() => [] as string[])).sort();
  const files = await Promise.all(all.filter((n) => /\.wav$/i.test(n)).map((n) => describeMedia(dir, n)));
  const images = await Promise.all(all.filter((n) => IMAGE_NAME.test(n)).map((n) => describeImage(dir, n)));
  return { files: files.filter((f): f is MediaFile => f !== undefined), images: images.filter((f): f is MediaImage => f !== undefined) };
}

/** `GET /api/media/<name>`: a file of the media folder, for the studio's image layers and sounds. */
async function sendMediaFile(dir: string, name: string, reply: FastifyReply): Promise<FastifyReply> {
  checkSoundName(name);
  const isImage = IMAGE_NAME.test(name);
  if (!isImage && !/\.wav$/i.test(name)) throw new HttpError(400, `media files are .wav sounds and .png, .jpg, .jpeg or .webp images, got "${name.slice(0, 100)}"`);
  let real: string;
  try {
    real = await realpath(join(dir, name));
  } catch {
    throw new HttpError(404, `there is no file "${name}" in the media folder`);
  }
  if (dirname(real) !== (await realpath(dir))) throw new HttpError(400, `"${name}" links outside the media folder`);
  const info = await stat(real);
  if (!info.isFile()) throw new HttpError(404, `"${name}" in the media folder is not a file`);
  const type = isImage ? await imageTypeOfFile(real) : 'audio/wav';
  if (!type) throw new HttpError(400, `"${name}" is not a PNG, JPEG or WebP image`);
  return reply
    .header('content-type', type)
    .header('content-length', info.size)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'no-cache')
    .send(createReadStream(real));
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
  const M = SCENES_ROUTES.getMediaFile;
  app.get<{ Params: { name: string } }>(M.url, { schema: fastifySchema(M) }, async (req, reply) => sendMediaFile(deps.mediaDir(), req.params.name, reply));

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

/**
 * `PUT /api/media/<name>.wav` (audio/wav body) or `<name>.png|jpg|jpeg|webp` (image/png, image/jpeg or
 * image/webp body): its own plugin, the only one parsing these types.
 */
export function registerMediaUpload(app: FastifyInstance, deps: RestDeps): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['audio/wav', 'audio/x-wav', 'audio/wave'], { parseAs: 'buffer', bodyLimit: MAX_SOUND_BYTES }, (_req, body, done) =>
    done(null, body),
  );
  app.addContentTypeParser(['image/png', 'image/jpeg', 'image/webp'], { parseAs: 'buffer', bodyLimit: MAX_IMAGE_BYTES }, (_req, body, done) => done(null, body));
  app.put<{ Params: { name: string }; Body: Buffer }>(STUDIO_ROUTES.putMedia.url, async (req) => {
    const { name } = req.params;
    checkSoundName(name);
    if (IMAGE_NAME.test(name)) {
      // Judged by the content, not the name or the Content-Type: the studio draws what the bytes are.
      if (!imageTypeOf(req.body)) throw new HttpError(400, `"${name.slice(0, 100)}" is not a PNG, JPEG or WebP image (its first bytes are none of theirs)`);
    } else if (!/\.wav$/i.test(name)) {
      throw new HttpError(400, `media file names end in .wav, .png, .jpg, .jpeg or .webp, got "${name.slice(0, 100)}"`);
    } else {
      // The whole file is checked once, on upload; asynchronously, so a long one does not stall the host.
      await decodeSoundAsync(name, req.body);
    }
    const dir = deps.mediaDir();
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.${name}.upload`);
    await writeFile(temp, req.body);
    await rename(temp, join(dir, name));
    deps.log('media.added', { name, bytes: req.body.length });
    return listMedia(dir);
  });
}
