// Image files of the media folder for image layers: a bare name inside the folder (no separators, no link
// leaving it), and the content judged by its first bytes, not by the name's extension:
//   PNG  (PNG spec §5.2)            89 50 4E 47 0D 0A 1A 0A
//   JPEG (ITU T.81 B.1.1.2, SOI)    FF D8 FF            (SOI, then the first marker's FF)
//   WebP (RIFF container)           "RIFF" | size (4, LE) | "WEBP"
import { open, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Scene } from '../../src-contract/scenes.js';
import { SceneError } from './validate.js';

export const IMAGE_TYPES = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;
export type ImageType = (typeof IMAGE_TYPES)[keyof typeof IMAGE_TYPES];
/** The names an image file of the media folder may end in. */
export const IMAGE_NAME = /\.(png|jpe?g|webp)$/i;
/** Largest image accepted into the media folder. */
export const MAX_IMAGE_BYTES = 32 * 1024 * 1024;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG_SOI = Buffer.from([0xff, 0xd8, 0xff]);
/** How many leading bytes the three signatures need. */
export const SIGNATURE_BYTES = 12;

/** The image type of a file from its first bytes; undefined when it is none of PNG, JPEG, WebP. */
export function imageTypeOf(head: Uint8Array): ImageType | undefined {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length >= PNG_SIGNATURE.length && b.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) return IMAGE_TYPES.png;
  if (b.length >= JPEG_SOI.length && b.subarray(0, JPEG_SOI.length).equals(JPEG_SOI)) return IMAGE_TYPES.jpeg;
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return IMAGE_TYPES.webp;
  return undefined;
}

/** Refuses a name that is not a bare file name of the media folder. */
export function checkMediaFileName(name: string, field: string): void {
  if (name === '' || name === '.' || name === '..' || /[/\\:\0]/.test(name) || /[\x00-\x1f]/.test(name)) {
    throw new SceneError(field, `${field} must be a bare file name of the media folder, without path separators, got ${JSON.stringify(name.slice(0, 100))}`);
  }
}

/**
 * The real path of `name` in the media folder and its image type. Throws a SceneError naming `field` when
 * the file is missing, leaves the folder or is not a PNG, JPEG or WebP image.
 */
export async function checkImageFile(mediaDir: string, name: string, field: string): Promise<{ path: string; type: ImageType }> {
  checkMediaFileName(name, field);
  const quoted = JSON.stringify(name);
  let real: string;
  try {
    real = await realpath(join(mediaDir, name));
  } catch {
    throw new SceneError(field, `${field}: there is no file ${quoted} in the media folder; upload it first (PUT /api/media/${encodeURIComponent(name)})`);
  }
  if (dirname(real) !== (await realpath(mediaDir))) throw new SceneError(field, `${field}: ${quoted} links outside the media folder`);
  const head = Buffer.alloc(SIGNATURE_BYTES);
  let read = 0;
  try {
    const handle = await open(real, 'r');
    try {
      if (!(await handle.stat()).isFile()) throw new Error('not a file');
      read = (await handle.read(head, 0, head.length, 0)).bytesRead;
    } finally {
      await handle.close();
    }
  } catch {
    throw new SceneError(field, `${field}: ${quoted} in the media folder is not a file that can be read`);
  }
  const type = imageTypeOf(head.subarray(0, read));
  if (!type) throw new SceneError(field, `${field}: ${quoted} is not a PNG, JPEG or WebP image (its first bytes are none of theirs)`);
  return { path: real, type };
}

/** Every image layer's file exists in the media folder and is an image. */
export async function checkSceneImages(scene: Scene, mediaDir: string): Promise<void> {
  for (const [i, layer] of scene.layers.entries()) {
    if (layer.kind === 'image' && layer.file !== undefined) await checkImageFile(mediaDir, layer.file, `layers[${i}].file`);
  }
}
