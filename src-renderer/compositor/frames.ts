// The frame path's ends: a capture's frames as they arrive (MediaStreamTrackProcessor, the latest kept),
// read into I420 pictures when a frame is drawn; and the program's own track, fed one VideoFrame per frame
// drawn (MediaStreamTrackGenerator). Chromium only; the compositor draws on a canvas where these are missing.
import { i420FromNv12, i420FromRgb, type Picture } from './yuv.js';

/** Chromium's "breakout box" (not in TypeScript's DOM types). */
interface TrackProcessor {
  readonly readable: ReadableStream<VideoFrame>;
}
interface TrackGenerator extends MediaStreamTrack {
  readonly writable: WritableStream<VideoFrame>;
}
type ProcessorClass = new (init: { track: MediaStreamTrack; maxBufferSize?: number }) => TrackProcessor;
type GeneratorClass = new (init: { kind: 'video' }) => TrackGenerator;

const globals = globalThis as unknown as { MediaStreamTrackProcessor?: ProcessorClass; MediaStreamTrackGenerator?: GeneratorClass; VideoFrame?: unknown };

/** Whether this browser can read captures frame by frame and make a track of frames (Chromium). */
export function framePathAvailable(): boolean {
  return typeof globals.MediaStreamTrackProcessor === 'function' && typeof globals.MediaStreamTrackGenerator === 'function' && typeof globals.VideoFrame === 'function';
}

/** The size a capture's frames are shown at (its constraints applied): what a <video> of it reports. */
export interface FrameSize {
  width: number;
  height: number;
}

/** A frame read: its pixels, and the size it is shown at (its aspect ratio is the one to draw it with). */
export interface FramePicture {
  picture: Picture;
  shown: FrameSize;
}

/**
 * A capture's frames as they come: the latest is kept (the one before is closed), and read into an I420
 * picture at most once however many layers or scenes of a fade draw it.
 */
export class FramePump {
  private latest: VideoFrame | undefined;
  private picture: Promise<FramePicture | undefined> | undefined;
  private stopped = false;
  /** The pixels of the frame read last, reused for the next: a frame is only read while none is drawn. */
  private buffer: Uint8Array | undefined;
  private reader: ReadableStreamDefaultReader<VideoFrame>;
  size: FrameSize | undefined;

  constructor(
    readonly track: MediaStreamTrack,
    /** The shown size of the frames changed (first frame included). */
    private readonly onSize: () => void,
  ) {
    const Processor = globals.MediaStreamTrackProcessor!;
    this.reader = new Processor({ track, maxBufferSize: 1 }).readable.getReader();
    void this.pump();
  }

  private async pump(): Promise<void> {
    for (;;) {
      let result: ReadableStreamReadResult<VideoFrame> | undefined;
      try {
        result = await this.reader.read();
      } catch {
        result = undefined; // the track ended or the reader was cancelled
      }
      if (!result || result.done) return this.ended();
      const frame = result.value;
      if (this.stopped) {
        frame.close();
        return;
      }
      this.latest?.close();
      this.latest = frame;
      this.picture = undefined;
      const { displayWidth: width, displayHeight: height } = frame;
      if (!this.size || this.size.width !== width || this.size.height !== height) {
        this.size = { width, height };
        this.onSize();
      }
    }
  }

  /** The latest frame as an I420 picture (its visible part, at its coded resolution); undefined before the first. */
  read(): Promise<FramePicture | undefined> {
    const frame = this.latest;
    if (!frame) return Promise.resolve(undefined);
    const shown = { width: frame.displayWidth, height: frame.displayHeight };
    this.picture ??= readPicture(frame, (size) => (this.buffer?.length === size ? this.buffer : (this.buffer = new Uint8Array(size)))).then(
      (picture) => (picture ? { picture, shown } : undefined),
      () => undefined,
    );
    return this.picture;
  }

  stop(): void {
    this.stopped = true;
    void this.reader.cancel().catch(() => undefined);
    this.latest?.close();
    this.latest = undefined;
  }

  /** The capture ended by itself (a camera unplugged): its last picture is not shown on. */
  private ended(): void {
    this.latest?.close();
    this.latest = undefined;
    this.picture = undefined;
    if (this.stopped) return;
    this.size = undefined;
    this.onSize();
  }
}

/**
 * A VideoFrame's visible part, even-sized, as I420: I420 and NV12 as they are, RGB formats converted.
 * `bufferOf` gives the bytes to copy into (a new array unless given).
 */
export async function readPicture(frame: VideoFrame, bufferOf: (size: number) => Uint8Array = (size) => new Uint8Array(size)): Promise<Picture | undefined> {
  const visible = frame.visibleRect;
  if (!visible) return undefined;
  const width = visible.width & ~1;
  const height = visible.height & ~1;
  if (width <= 0 || height <= 0) return undefined;
  const rect = { x: visible.x, y: visible.y, width, height };
  const format = frame.format;
  if (format === 'I420' || format === 'I420A') {
    // I420A's alpha plane lands after the others and is not used: the program is opaque.
    const buffer = bufferOf(format === 'I420' ? (width * height * 3) / 2 : (width * height * 5) / 2);
    const layout = [
      { offset: 0, stride: width },
      { offset: width * height, stride: width / 2 },
      { offset: (width * height * 5) / 4, stride: width / 2 },
    ];
    if (format === 'I420A') layout.push({ offset: (width * height * 3) / 2, stride: width });
    await frame.copyTo(buffer, { rect, layout });
    return {
      width,
      height,
      y: buffer.subarray(0, width * height),
      u: buffer.subarray(width * height, (width * height * 5) / 4),
      v: buffer.subarray((width * height * 5) / 4, (width * height * 3) / 2),
      yStride: width,
      cStride: width / 2,
    };
  }
  if (format === 'NV12') {
    const buffer = bufferOf((width * height * 3) / 2);
    await frame.copyTo(buffer, { rect, layout: [{ offset: 0, stride: width }, { offset: width * height, stride: width }] });
    return i420FromNv12(buffer.subarray(0, width * height), width, buffer.subarray(width * height), width, width, height);
  }
  // Anything else (RGB formats, other subsamplings, high bit depths): Chromium converts to RGBA for us.
  const bgr = format === 'BGRA' || format === 'BGRX';
  const rgb = format === 'RGBA' || format === 'RGBX' || bgr;
  const buffer = bufferOf(width * height * 4);
  await frame.copyTo(buffer, rgb ? { rect, layout: [{ offset: 0, stride: width * 4 }] } : { rect, layout: [{ offset: 0, stride: width * 4 }], format: 'RGBA' });
  return i420FromRgb(buffer, width * 4, width, height, bgr);
}

/** The program's track, made of the pictures written to it. */
export class FrameOutput {
  readonly track: MediaStreamTrack;
  private readonly writer: WritableStreamDefaultWriter<VideoFrame>;

  constructor() {
    const Generator = globals.MediaStreamTrackGenerator!;
    const generator = new Generator({ kind: 'video' });
    this.track = generator;
    this.writer = generator.writable.getWriter();
  }

  /** Sends `data` (an I420 picture, planes one after the other) as the next frame, stamped `timestampUs`. */
  async write(data: Uint8Array, width: number, height: number, timestampUs: number): Promise<void> {
    const frame = new VideoFrame(data, {
      format: 'I420',
      codedWidth: width,
      codedHeight: height,
      timestamp: Math.round(timestampUs),
      colorSpace: { primaries: 'smpte170m', transfer: 'smpte170m', matrix: 'smpte170m', fullRange: false },
    });
    try {
      await this.writer.write(frame);
    } catch (error) {
      frame.close();
      throw error;
    }
  }

  stop(): void {
    void this.writer.close().catch(() => undefined);
    this.track.stop();
  }
}
