// What nginx recorded, as a test looks at it: every frame decoded by ffmpeg at PROBE_FPS and scaled to
// PROBE_W×PROBE_H RGB, with the colour of a pixel, the mean and spread of a rectangle, and a pixel count.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Decoded frames per second and their size (enough to tell the layers apart). */
export const PROBE_FPS = 10;
export const PROBE_W = 160;
export const PROBE_H = 90;

export type Rgb = [number, number, number];
/** A rectangle in fractions of the frame. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Frame {
  t: number;
  px(fx: number, fy: number): Rgb;
  /** Mean and standard deviation of the grey level over a rectangle of fractions. */
  stats(r: Box): { mean: Rgb; greyStd: number };
  count(r: Box, test: (p: Rgb) => boolean): number;
}

export async function decodeFrames(file: string): Promise<Frame[]> {
  const { stdout } = await run('/usr/bin/ffmpeg', ['-v', 'error', '-i', file, '-vf', `fps=${PROBE_FPS},scale=${PROBE_W}:${PROBE_H}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    encoding: 'buffer',
    maxBuffer: 256 * 1024 * 1024,
  });
  const size = PROBE_W * PROBE_H * 3;
  const frames: Frame[] = [];
  for (let i = 0; (i + 1) * size <= stdout.length; i++) {
    const data = stdout.subarray(i * size, (i + 1) * size);
    const at = (x: number, y: number): Rgb => {
      const o = (y * PROBE_W + x) * 3;
      return [data[o]!, data[o + 1]!, data[o + 2]!];
    };
    const each = (r: Box, fn: (p: Rgb) => void): void => {
      // One pixel in from each edge: the encoder blurs the boundary.
      for (let y = Math.ceil(r.y * PROBE_H) + 1; y < Math.floor((r.y + r.height) * PROBE_H) - 1; y++)
        for (let x = Math.ceil(r.x * PROBE_W) + 1; x < Math.floor((r.x + r.width) * PROBE_W) - 1; x++) fn(at(x, y));
    };
    frames.push({
      t: i / PROBE_FPS,
      px: (fx, fy) => at(Math.min(PROBE_W - 1, Math.floor(fx * PROBE_W)), Math.min(PROBE_H - 1, Math.floor(fy * PROBE_H))),
      stats(r) {
        const sum: Rgb = [0, 0, 0];
        const greys: number[] = [];
        each(r, (p) => {
          sum[0] += p[0];
          sum[1] += p[1];
          sum[2] += p[2];
          greys.push((p[0] + p[1] + p[2]) / 3);
        });
        const n = greys.length;
        const mean = greys.reduce((a, b) => a + b, 0) / n;
        const greyStd = Math.sqrt(greys.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
        return { mean: [sum[0] / n, sum[1] / n, sum[2] / n], greyStd };
      },
      count(r, fn) {
        let n = 0;
        each(r, (p) => (n += fn(p) ? 1 : 0));
        return n;
      },
    });
  }
  return frames;
}

export const near = (p: Rgb, q: Rgb, tolerance = 60): boolean => p.every((v, i) => Math.abs(v - q[i]!) <= tolerance);

/** Chromium's fake camera: a green picture (with a lighter moving disc and a running clock). */
export const isGreenCamera = ({ mean: [r, g, b] }: { mean: Rgb }): boolean => g > r + 60 && g > b + 60;
