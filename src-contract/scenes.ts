// Scenes as they travel on the wire (`/api/scenes*`, the /ws scene messages of docs/PROTOCOL.md): a scene is
// an ordered list of layers the studio's compositor draws bottom to top (index 0 first) into the program
// picture. Rectangles are fractions of the frame, so a scene fits any output size. Declared once (TypeBox)
// for the routes, the OpenAPI document, the host's store and the studio; no server code here.
// The host checks each scene again with sentences naming the field (src-main/scenes/validate.ts): this schema
// is what it documents and what a stored scene always satisfies.
import Type, { type Static } from 'typebox';

/** Longest scene name (a path segment of `/api/scenes/{name}`). */
export const MAX_SCENE_NAME = 64;
/** Most layers a scene may have. */
export const MAX_SCENE_LAYERS = 32;
/** Longest fade a transition may ask for. */
export const MAX_TRANSITION_MS = 5000;
/** Longest text of a text layer. */
export const MAX_SCENE_TEXT = 500;
/** Longest device id, file name or layer id/name. */
export const MAX_SCENE_FIELD = 256;
/** A text layer's font size when none is given: pixels at 1080 lines, scaled with the output height. */
export const DEFAULT_FONT_SIZE = 48;
/** CSS hex colour: `#rrggbb` or `#rrggbbaa`. */
export const HEX_COLOR_PATTERN = '^#([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$';

export const SCENE_LAYER_KINDS = ['camera', 'screen', 'image', 'text', 'color'] as const;
export type SceneLayerKind = (typeof SCENE_LAYER_KINDS)[number];
export const SceneLayerKind = Type.Unsafe<SceneLayerKind>({ type: 'string', enum: [...SCENE_LAYER_KINDS] });

export const SCENE_FITS = ['cover', 'contain'] as const;
export const TRANSITION_KINDS = ['cut', 'fade'] as const;

const Fraction = (description: string) => Type.Number({ minimum: 0, maximum: 1, description });
const HexColor = (description: string) => Type.String({ pattern: HEX_COLOR_PATTERN, description });
const Field = (description: string) => Type.String({ maxLength: MAX_SCENE_FIELD, description });

/** What part of the source a layer shows: fractions cut off each edge of the source picture. */
export const SceneCrop = Type.Object(
  {
    left: Fraction('Fraction of the source width cut off on the left.'),
    top: Fraction('Fraction of the source height cut off at the top.'),
    right: Fraction('Fraction of the source width cut off on the right.'),
    bottom: Fraction('Fraction of the source height cut off at the bottom.'),
  },
  { additionalProperties: false },
);
export type SceneCrop = Static<typeof SceneCrop>;

/** One layer: where it is drawn (fractions of the frame, x + width ≤ 1, y + height ≤ 1) and what it shows. */
export const SceneLayer = Type.Object(
  {
    kind: SceneLayerKind,
    x: Fraction('Left edge, fraction of the frame width.'),
    y: Fraction('Top edge, fraction of the frame height.'),
    width: Fraction('Fraction of the frame width; x + width ≤ 1.'),
    height: Fraction('Fraction of the frame height; y + height ≤ 1.'),
    id: Type.Optional(Field('Stable id the studio uses for the layer.')),
    name: Type.Optional(Field('Label shown in the studio.')),
    visible: Type.Optional(Type.Boolean({ description: 'Drawn or not (default true).' })),
    opacity: Type.Optional(Fraction('0 transparent … 1 opaque (default 1).')),
    crop: Type.Optional(SceneCrop),
    device: Type.Optional(Field("camera: a camera's deviceId or label; screen: a screen or window id. Absent: the default one.")),
    file: Type.Optional(Field('image: a PNG, JPEG or WebP file of the media folder.')),
    text: Type.Optional(Type.String({ maxLength: MAX_SCENE_TEXT, description: 'text: the words drawn.' })),
    fontSize: Type.Optional(Type.Number({ minimum: 1, maximum: 1000, description: `text: pixels at 1080 lines (default ${DEFAULT_FONT_SIZE}).` })),
    color: Type.Optional(HexColor('text: the text colour; color: the fill.')),
    background: Type.Optional(HexColor("text: the colour of the text's box; absent: no box.")),
    fit: Type.Optional(Type.Unsafe<(typeof SCENE_FITS)[number]>({ type: 'string', enum: [...SCENE_FITS], description: 'camera, screen, image: fill the rectangle cropping the source (cover, default) or show it whole (contain).' })),
  },
  { additionalProperties: false },
);
export type SceneLayer = Static<typeof SceneLayer>;

/** How the program changes to a scene: a cut, or a fade over `ms`. */
export const SceneTransition = Type.Object(
  {
    kind: Type.Unsafe<(typeof TRANSITION_KINDS)[number]>({ type: 'string', enum: [...TRANSITION_KINDS] }),
    ms: Type.Integer({ minimum: 0, maximum: MAX_TRANSITION_MS }),
  },
  { additionalProperties: false },
);
export type SceneTransition = Static<typeof SceneTransition>;

export const Scene = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: MAX_SCENE_NAME, pattern: '^[^/\\\\\\x00-\\x1f]+$', description: 'Unique; no "/", "\\" or control characters.' }),
    layers: Type.Array(SceneLayer, { maxItems: MAX_SCENE_LAYERS, description: 'Drawn bottom to top: index 0 first.' }),
    transition: Type.Optional(SceneTransition),
    microphone: Type.Optional(Type.Boolean({ description: 'The microphone is heard in this scene (default true).' })),
    template: Type.Optional(Field('The ready-made layout it was made from (informational).')),
  },
  { additionalProperties: false },
);
export type Scene = Static<typeof Scene>;

/** `GET /api/scenes`, and the `scenes` event on /ws. */
export const ScenesList = Type.Object({
  active: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
  scenes: Type.Array(Scene),
});
export type ScenesList = Static<typeof ScenesList>;

/** `POST /api/scenes/{name}/activate`: the scene the studio now shows. */
export const SceneActivated = Type.Object({ active: Type.String() });
export type SceneActivated = Static<typeof SceneActivated>;

/** Messages of /ws about scenes (docs/PROTOCOL.md). */
export type ScenesClientMessage =
  | { type: 'scenes-attach' }
  | { type: 'scene-applied'; id: string; name: string }
  | { type: 'scene-apply-failed'; id: string; error: string }
  | { type: 'scene-active'; name: string };
export type ScenesHostMessage =
  | { type: 'scene-activate'; id: string; scene: Scene }
  | ({ type: 'scenes' } & ScenesList);
