// Decibels as the mixer uses them: a fader's gain in dB (20·log10 of the amplitude ratio) and a meter's
// peak in dBFS (0 dBFS = a sample at full scale, ±1.0 in Web Audio's float samples).

/** The fader's range; its bottom is shown as −∞ and sets the gain to exactly 0. */
export const FADER_MIN_DB = -60;
export const FADER_MAX_DB = 12;
/** A meter shows nothing below this. */
export const METER_FLOOR_DB = -60;
/** A peak at or above this (in dBFS) lights the clip mark: the encoder will flatten it. */
export const CLIP_DBFS = -0.1;

/** The amplitude factor of a gain in dB; the fader's bottom (and below) is silence. */
export function dbToGain(db: number): number {
  if (!Number.isFinite(db) || db <= FADER_MIN_DB) return 0;
  return 10 ** (Math.min(db, FADER_MAX_DB) / 20);
}

/** The gain in dB of an amplitude factor; −Infinity for 0. */
export function gainToDb(gain: number): number {
  return gain > 0 ? 20 * Math.log10(gain) : -Infinity;
}

/** The peak of float samples in dBFS (−Infinity for digital silence). */
export function peakDbfs(samples: ArrayLike<number>): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]!));
  return gainToDb(peak);
}

/** Where a level sits on a meter, 0..1, from METER_FLOOR_DB to 0 dBFS. */
export function meterFraction(dbfs: number): number {
  if (!(dbfs > METER_FLOOR_DB)) return 0;
  return Math.min(1, (dbfs - METER_FLOOR_DB) / -METER_FLOOR_DB);
}

/** A dB value as a streamer reads it on a fader: "−6.0 dB", "+3.0 dB", "−∞". */
export function formatDb(db: number): string {
  if (!Number.isFinite(db) || db <= FADER_MIN_DB) return '−∞';
  const text = Math.abs(db).toFixed(1);
  return `${db < 0 ? '−' : db > 0 ? '+' : ''}${text} dB`;
}
