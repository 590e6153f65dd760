// A scene's checks (src-contract/scenes.ts), with a sentence that names the field (`layers[2].width`) so a
// script author or the studio knows what to fix. Pure: the image files a scene names are checked against
// the media folder by images.ts. What passes here satisfies the contract's `Scene` schema.
import {
  HEX_COLOR_PATTERN,
  MAX_SCENE_FIELD,
  MAX_SCENE_LAYERS,
  MAX_SCENE_NAME,
  MAX_SCENE_TEXT,
  MAX_TRANSITION_MS,
  SCENE_FITS,
  SCENE_LAYER_KINDS,
  TRANSITION_KINDS,
  type Scene,
  type SceneLayer,
} from '../../src-contract/scenes.js';

/** A refused scene: the field it is about and why. */
export class SceneError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** x + width and y + height may exceed 1 by this much (0.73 + 0.25 + 0.02 is not exactly 1 in binary). */
const SUM_TOLERANCE = 1e-9;
const HEX_COLOR = new RegExp(HEX_COLOR_PATTERN);
const SCENE_KEYS = ['name', 'layers', 'transition', 'microphone', 'template'] as const;
const LAYER_KEYS = ['kind', 'x', 'y', 'width', 'height', 'id', 'name', 'visible', 'opacity', 'crop', 'device', 'file', 'text', 'fontSize', 'color', 'background', 'fit'] as const;
const CROP_KEYS = ['left', 'top', 'right', 'bottom'] as const;
const RECT_KEYS = ['x', 'y', 'width', 'height'] as const;

type Json = Record<string, unknown>;

/** `layers[2]` + `width` → `layers[2].width`; a top-level key is its own name. */
function at(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function list(values: readonly string[]): string {
  return `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

function onlyKeys(obj: Json, allowed: readonly string[], path: string, what: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new SceneError(at(path, key), `${at(path, key)} is not a field of ${what} (fields: ${allowed.join(', ')})`);
  }
}

/** Checks a scene name (also the path segment of `/api/scenes/{name}`). */
export function checkSceneName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string') throw new SceneError(field, `${field} must be a string, got ${show(name)}`);
  if (name.trim() === '') throw new SceneError(field, `${field} must not be empty`);
  if (name.length > MAX_SCENE_NAME) throw new SceneError(field, `${field} is ${name.length} characters long, at most ${MAX_SCENE_NAME}`);
  if (/[/\\]/.test(name) || /[\x00-\x1f\x7f]/.test(name)) throw new SceneError(field, `${field} ${show(name)} must not contain "/", "\\" or control characters`);
  return name;
}

function fraction(obj: Json, key: string, path: string, required: boolean): number | undefined {
  const v = obj[key];
  const field = at(path, key);
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new SceneError(field, `${field} must be a number from 0 to 1 (a fraction of the frame), got ${show(v)}`);
  if (v < 0 || v > 1) throw new SceneError(field, `${field} is ${v}, outside 0 to 1: rectangles are fractions of the frame`);
  return v;
}

function text(obj: Json, key: string, path: string, max = MAX_SCENE_FIELD): string | undefined {
  const v = obj[key];
  const field = at(path, key);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new SceneError(field, `${field} must be a string, got ${show(v)}`);
  if (v.length > max) throw new SceneError(field, `${field} is ${v.length} characters long, at most ${max}`);
  return v;
}

function color(obj: Json, key: string, path: string): string | undefined {
  const v = text(obj, key, path);
  if (v !== undefined && !HEX_COLOR.test(v)) throw new SceneError(at(path, key), `${at(path, key)} ${show(v)} is not a colour: write it as #rrggbb or #rrggbbaa`);
  return v;
}

function crop(raw: unknown, path: string): SceneLayer['crop'] {
  if (!isObject(raw)) throw new SceneError(path, `${path} must be an object {left, top, right, bottom} of fractions of the source, got ${show(raw)}`);
  onlyKeys(raw, CROP_KEYS, path, 'a crop');
  const [left, top, right, bottom] = CROP_KEYS.map((k) => fraction(raw, k, path, true)!) as [number, number, number, number];
  if (left + right >= 1) throw new SceneError(`${path}.right`, `${path}.left + ${path}.right is ${left + right}: the crop leaves nothing of the source's width`);
  if (top + bottom >= 1) throw new SceneError(`${path}.bottom`, `${path}.top + ${path}.bottom is ${top + bottom}: the crop leaves nothing of the source's height`);
  return { left, top, right, bottom };
}

/** One layer, normalised (known fields only, in the contract's order). */
export function checkLayer(raw: unknown, i: number): SceneLayer {
  const path = `layers[${i}]`;
  if (!isObject(raw)) throw new SceneError(path, `${path} must be an object, got ${show(raw)}`);
  const kind = raw.kind;
  if (typeof kind !== 'string' || !(SCENE_LAYER_KINDS as readonly string[]).includes(kind)) {
    throw new SceneError(`${path}.kind`, `${path}.kind ${show(kind)} is not a layer kind: use ${list(SCENE_LAYER_KINDS)}`);
  }
  onlyKeys(raw, LAYER_KEYS, path, 'a layer');
  const [x, y, width, height] = RECT_KEYS.map((k) => fraction(raw, k, path, true)!) as [number, number, number, number];
  if (x + width > 1 + SUM_TOLERANCE) throw new SceneError(`${path}.width`, `${path}.x + ${path}.width is ${+(x + width).toFixed(6)}: the layer leaves the frame on the right (at most 1)`);
  if (y + height > 1 + SUM_TOLERANCE) throw new SceneError(`${path}.height`, `${path}.y + ${path}.height is ${+(y + height).toFixed(6)}: the layer leaves the frame at the bottom (at most 1)`);
  const layer: SceneLayer = { kind: kind as SceneLayer['kind'], x, y, width, height };

  const id = text(raw, 'id', path);
  if (id !== undefined) layer.id = id;
  const name = text(raw, 'name', path);
  if (name !== undefined) layer.name = name;
  if (raw.visible !== undefined) {
    if (typeof raw.visible !== 'boolean') throw new SceneError(`${path}.visible`, `${path}.visible must be true or false, got ${show(raw.visible)}`);
    layer.visible = raw.visible;
  }
  const opacity = fraction(raw, 'opacity', path, false);
  if (opacity !== undefined) layer.opacity = opacity;
  if (raw.crop !== undefined) layer.crop = crop(raw.crop, `${path}.crop`);
  const device = text(raw, 'device', path);
  if (device !== undefined) layer.device = device;
  const file = text(raw, 'file', path);
  if (file !== undefined) layer.file = file;
  const words = text(raw, 'text', path, MAX_SCENE_TEXT);
  if (words !== undefined) layer.text = words;
  if (raw.fontSize !== undefined) {
    const size = raw.fontSize;
    if (typeof size !== 'number' || !Number.isFinite(size) || size < 1 || size > 1000) {
      throw new SceneError(`${path}.fontSize`, `${path}.fontSize must be a number of pixels from 1 to 1000 (at 1080 lines), got ${show(size)}`);
    }
    layer.fontSize = size;
  }
  const fill = color(raw, 'color', path);
  if (fill !== undefined) layer.color = fill;
  const box = color(raw, 'background', path);
  if (box !== undefined) layer.background = box;
  if (raw.fit !== undefined) {
    if (typeof raw.fit !== 'string' || !(SCENE_FITS as readonly string[]).includes(raw.fit)) throw new SceneError(`${path}.fit`, `${path}.fit ${show(raw.fit)} is not a fit: use ${list(SCENE_FITS)}`);
    layer.fit = raw.fit as NonNullable<SceneLayer['fit']>;
  }

  if (kind === 'image' && (layer.file === undefined || layer.file === '')) throw new SceneError(`${path}.file`, `${path}.file is missing: an image layer names a PNG, JPEG or WebP file of the media folder`);
  if (kind === 'text' && layer.text === undefined) throw new SceneError(`${path}.text`, `${path}.text is missing: a text layer needs the words to draw`);
  if (kind === 'color' && layer.color === undefined) throw new SceneError(`${path}.color`, `${path}.color is missing: a color layer needs its fill, as #rrggbb or #rrggbbaa`);
  return layer;
}

/**
 * A whole scene, normalised. `pathName`, when given, is the name in the URL: the body's name must be the same
 * (a PUT cannot rename a scene behind its path).
 */
export function checkScene(raw: unknown, pathName?: string): Scene {
  if (!isObject(raw)) throw new SceneError('', `a scene must be a JSON object {name, layers}, got ${show(raw)}`);
  onlyKeys(raw, SCENE_KEYS, '', 'a scene');
  const name = checkSceneName(raw.name);
  if (pathName !== undefined && name !== pathName) throw new SceneError('name', `name ${show(name)} does not match the scene in the path, ${show(pathName)}`);
  if (!Array.isArray(raw.layers)) throw new SceneError('layers', `layers must be an array of layers (drawn bottom to top), got ${show(raw.layers)}`);
  if (raw.layers.length > MAX_SCENE_LAYERS) throw new SceneError('layers', `layers has ${raw.layers.length} layers, at most ${MAX_SCENE_LAYERS}`);
  const scene: Scene = { name, layers: raw.layers.map((l, i) => checkLayer(l, i)) };
  if (raw.transition !== undefined) {
    const t = raw.transition;
    if (!isObject(t)) throw new SceneError('transition', `transition must be an object {kind, ms}, got ${show(t)}`);
    onlyKeys(t, ['kind', 'ms'], 'transition', 'a transition');
    if (typeof t.kind !== 'string' || !(TRANSITION_KINDS as readonly string[]).includes(t.kind)) {
      throw new SceneError('transition.kind', `transition.kind ${show(t.kind)} is not a transition: use ${list(TRANSITION_KINDS)}`);
    }
    if (typeof t.ms !== 'number' || !Number.isInteger(t.ms) || t.ms < 0 || t.ms > MAX_TRANSITION_MS) {
      throw new SceneError('transition.ms', `transition.ms must be a whole number of milliseconds from 0 to ${MAX_TRANSITION_MS}, got ${show(t.ms)}`);
    }
    scene.transition = { kind: t.kind as 'cut' | 'fade', ms: t.ms };
  }
  if (raw.microphone !== undefined) {
    if (typeof raw.microphone !== 'boolean') throw new SceneError('microphone', `microphone must be true or false, got ${show(raw.microphone)}`);
    scene.microphone = raw.microphone;
  }
  const template = text(raw, 'template', '');
  if (template !== undefined) scene.template = template;
  return scene;
}
