// The ready-made layouts a streamer starts from (docs/DECISIONS.md "Scenes (host)"): plain scenes of the
// contract (scenes.ts), so the host seeds them on first run and the studio makes new scenes from them.
// Rectangles assume a 16:9 program with 16:9 sources; `fit` keeps other shapes right.
import type { Scene, SceneLayer } from './scenes.js';

export const PIP_CORNERS = ['top-left', 'top-right', 'bottom-left', 'bottom-right'] as const;
export type PipCorner = (typeof PIP_CORNERS)[number];

/** Picture-in-picture: a quarter of the frame's width, this far from the two edges of its corner. */
export const PIP_SIZE = 0.25;
export const PIP_MARGIN = 0.02;

/** The rectangle of a picture-in-picture layer in `corner`. */
export function pipRect(corner: PipCorner): Pick<SceneLayer, 'x' | 'y' | 'width' | 'height'> {
  const far = 1 - PIP_MARGIN - PIP_SIZE;
  return {
    x: corner.endsWith('left') ? PIP_MARGIN : far,
    y: corner.startsWith('top') ? PIP_MARGIN : far,
    width: PIP_SIZE,
    height: PIP_SIZE,
  };
}

const FULL = { x: 0, y: 0, width: 1, height: 1 } as const;
const BACKDROP = '#101418';

export const TEMPLATE_NAMES = ['Camera', 'Screen + camera', 'Side by side', 'Screen only', 'Be right back'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

export interface TemplateOptions {
  /** The scene's name; default the template's. */
  name?: string;
  /** Screen + camera: where the camera sits (default bottom-right). */
  corner?: PipCorner;
  /** Be right back: an image of the media folder instead of the plain colour. */
  file?: string;
}

/** A scene of `layers` over the dark backdrop that fills what a `contain` source leaves uncovered. */
function onBackdrop(name: string, template: TemplateName, ...layers: SceneLayer[]): Scene {
  return { name, template, layers: [{ id: 'backdrop', kind: 'color', ...FULL, color: BACKDROP }, ...layers] };
}

/** A new scene from a ready-made layout. */
export function sceneFromTemplate(template: TemplateName, options: TemplateOptions = {}): Scene {
  const name = options.name ?? template;
  switch (template) {
    case 'Camera':
      return { name, template, layers: [{ id: 'camera', kind: 'camera', ...FULL, fit: 'cover' }] };
    case 'Screen + camera':
      return onBackdrop(
        name,
        template,
        { id: 'screen', kind: 'screen', ...FULL, fit: 'contain' },
        { id: 'camera', kind: 'camera', ...pipRect(options.corner ?? 'bottom-right'), fit: 'cover' },
      );
    case 'Side by side':
      return onBackdrop(
        name,
        template,
        { id: 'screen', kind: 'screen', x: 0, y: 0.25, width: 0.5, height: 0.5, fit: 'contain' },
        { id: 'camera', kind: 'camera', x: 0.5, y: 0.25, width: 0.5, height: 0.5, fit: 'cover' },
      );
    case 'Screen only':
      return onBackdrop(name, template, { id: 'screen', kind: 'screen', ...FULL, fit: 'contain' });
    case 'Be right back': {
      const background: SceneLayer =
        options.file !== undefined ? { id: 'background', kind: 'image', ...FULL, file: options.file, fit: 'cover' } : { id: 'background', kind: 'color', ...FULL, color: '#1d2b3a' };
      return {
        name,
        template,
        microphone: false,
        transition: { kind: 'fade', ms: 500 },
        layers: [background, { id: 'text', kind: 'text', x: 0.1, y: 0.4, width: 0.8, height: 0.2, text: 'Be right back', fontSize: 96, color: '#ffffff' }],
      };
    }
  }
}

/** The scenes a first run starts with, "Camera" active. */
export function defaultScenes(): Scene[] {
  return TEMPLATE_NAMES.map((t) => sceneFromTemplate(t));
}
