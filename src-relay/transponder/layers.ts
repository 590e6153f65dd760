// Which video layer a target receives (options.quality, maxBitrateKbps, maxHeight), the SFU's choice for an
// RTMP receiver: a simulcast publisher (RFC 8853) encodes the picture at two or three sizes at once, and each
// target gets one of them, copied, never re-encoded. Pure: layers in (largest first, as LiveStream.layers
// lists them), an index out.
import type { TransponderOptions } from './service.js';
import { QUALITIES } from '../../src-contract/transponder.js';

/** What the choice looks at of a layer (a VideoLayer fits). */
export interface LayerFacts {
  readonly width: number;
  readonly height: number;
  /** Measured; 0 until known. */
  readonly bitrateKbps: number;
}

export type LayerChoice = Pick<TransponderOptions, 'quality' | 'maxBitrateKbps' | 'maxHeight'>;

/**
 * A layer already sent keeps fitting a bitrate limit up to this factor over it: measured bitrates swing
 * by a tenth from one two-second window to the next, and a target must not hop between layers with them.
 */
export const BITRATE_HYSTERESIS = 1.15;

/** A choice's problem in one sentence naming the option, or undefined (for callers that skip the schema). */
export function layerChoiceProblem(choice: LayerChoice): string | undefined {
  if (choice.quality !== undefined && !QUALITIES.includes(choice.quality)) {
    return `options.quality must be one of ${QUALITIES.join(', ')}, got ${String(choice.quality)}`;
  }
  for (const key of ['maxBitrateKbps', 'maxHeight'] as const) {
    const value = choice[key];
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) return `options.${key} must be a whole number ≥ 1, got ${String(value)}`;
  }
  return undefined;
}

/**
 * The index in `layers` (largest first) of the layer to send: the one `quality` names ("highest" when not
 * given), or a smaller one when `maxHeight` / `maxBitrateKbps` exclude it — the largest that fits; the
 * lowest when none does. Layers whose size is not known yet are not chosen while one is known (they are
 * listed last and the choice is made again once they are). `current`, the index sent now, keeps fitting
 * a bitrate limit with BITRATE_HYSTERESIS. -1 when there is no layer.
 */
export function chooseLayer(layers: readonly LayerFacts[], choice: LayerChoice, current?: number): number {
  const last = lowestLayer(layers);
  if (last < 0) return -1;
  let start = 0;
  if (choice.quality === 'lowest') start = last;
  else if (choice.quality === 'medium') start = Math.ceil(last / 2);
  for (let i = start; i <= last; i++) if (fits(layers[i]!, choice, i === current)) return i;
  return last;
}

/** The index of the lowest layer that may be chosen (the smallest of known size), -1 without layers. */
export function lowestLayer(layers: readonly LayerFacts[]): number {
  const known = layers.filter((l) => l.height > 0).length;
  return (known > 0 ? known : layers.length) - 1;
}

function fits(layer: LayerFacts, choice: LayerChoice, isCurrent: boolean): boolean {
  if (choice.maxHeight !== undefined && layer.height > choice.maxHeight) return false;
  if (choice.maxBitrateKbps !== undefined && layer.bitrateKbps > choice.maxBitrateKbps * (isCurrent ? BITRATE_HYSTERESIS : 1)) return false;
  return true;
}

