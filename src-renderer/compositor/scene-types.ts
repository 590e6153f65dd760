// The scene shapes the compositor draws: the wire contract's own (src-contract/scenes.ts), under the names
// the compositor's pure parts use. Types only: the compositor stays free of the contract's schemas.
import type { Scene, SceneCrop, SceneLayer, SceneLayerKind } from '../../src-contract/scenes.js';

export type LayerKind = SceneLayerKind;
export type Crop = SceneCrop;
export type DrawLayer = SceneLayer;
export type DrawScene = Scene;
