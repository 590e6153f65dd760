// The scene shapes the compositor draws. They mirror the wire contract (src-contract/scenes.ts); the
// compositor needs only these fields, so its pure parts stay testable without the contract's schemas.
export type LayerKind = 'camera' | 'screen' | 'image' | 'text' | 'color';

export interface Crop {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export interface DrawLayer {
  kind: LayerKind;
  x: number;
  y: number;
  width: number;
  height: number;
  id?: string;
  name?: string;
  visible?: boolean;
  opacity?: number;
  crop?: Crop;
  device?: string;
  file?: string;
  text?: string;
  fontSize?: number;
  color?: string;
  background?: string;
  fit?: 'cover' | 'contain';
}

export interface DrawScene {
  name: string;
  layers: DrawLayer[];
  transition?: { kind: 'cut' | 'fade'; ms: number };
  microphone?: boolean;
  template?: string;
}
