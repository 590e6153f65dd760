// An independent decoder for Enhanced RTMP FLV: npm `node-av` (FFmpeg 8 with dav1d and libvpx bundled as
// one native addon, @seydx/node-av-linux-x64). Debian's ffmpeg 5.1 cannot read Enhanced RTMP. At ~200 MB
// it is no dependency of the project: the tests install it into a folder of its own, with
//   npm install --prefix <NODE_AV_DIR> --ignore-scripts --no-audit --no-fund node-av@6.1.1
// (--ignore-scripts: its postinstall only downloads an ffmpeg command-line binary from GitHub, which
// the library does not need; the addon comes from the registry package).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const NODE_AV_VERSION = '6.1.1';
export const NODE_AV_DIR = process.env.NODE_AV_DIR ?? join(homedir(), '.cache', 'castbridge-test-peers', 'node-av');
export const NODE_AV_INSTALL = `npm install --prefix ${NODE_AV_DIR} --ignore-scripts --no-audit --no-fund node-av@${NODE_AV_VERSION}`;

export interface DecodedFile {
  codec: string;
  width: number;
  height: number;
  frames: number;
  /** Decoder errors, one message each. */
  errors: string[];
}

// The synchronous API: node-av's async generators use Promise.withResolvers, which Node 20 lacks.
interface NodeAvApi {
  Demuxer: { openSync(path: string): NodeAvDemuxer };
  Decoder: { createSync(stream: unknown): NodeAvDecoder };
}
interface NodeAvFrame {
  width: number;
  height: number;
  free(): void;
}
interface NodeAvDemuxer {
  video(): { index: number; codecpar: { codecId: number } } | undefined;
  packetsSync(index?: number): Iterable<{ free(): void } | null>;
  closeSync(): void;
}
interface NodeAvDecoder {
  decodeSync(packet: unknown): void;
  flushSync(): void;
  receiveSync(): NodeAvFrame | null | object;
  close(): void;
}

async function nodeAv(): Promise<{ api: NodeAvApi; codecName: (id: number) => string }> {
  const main = join(NODE_AV_DIR, 'node_modules', 'node-av', 'dist', 'index.js');
  if (!existsSync(main)) throw new Error(`node-av is not installed in ${NODE_AV_DIR}; install it with:\n  ${NODE_AV_INSTALL}`);
  const api = (await import(pathToFileURL(join(NODE_AV_DIR, 'node_modules', 'node-av', 'dist', 'api', 'index.js')).href)) as NodeAvApi;
  const lib = (await import(pathToFileURL(main).href)) as { avGetCodecName(id: number): string };
  return { api, codecName: (id) => lib.avGetCodecName(id) };
}

function isFrame(value: unknown): value is NodeAvFrame {
  return typeof value === 'object' && value !== null && 'width' in value && 'free' in value;
}

/** Demuxes a media file with node-av's FFmpeg and decodes every video frame. */
export async function decodeWithNodeAv(path: string): Promise<DecodedFile> {
  const { api, codecName } = await nodeAv();
  const input = api.Demuxer.openSync(path);
  try {
    const stream = input.video();
    if (!stream) throw new Error(`node-av finds no video stream in ${path}`);
    const decoder = api.Decoder.createSync(stream);
    const result: DecodedFile = { codec: codecName(stream.codecpar.codecId), width: 0, height: 0, frames: 0, errors: [] };
    const drain = () => {
      for (let frame = decoder.receiveSync(); isFrame(frame); frame = decoder.receiveSync()) {
        result.frames++;
        [result.width, result.height] = [frame.width, frame.height];
        frame.free();
      }
    };
    try {
      for (const packet of input.packetsSync(stream.index)) {
        if (!packet) break;
        decoder.decodeSync(packet);
        packet.free();
        drain();
      }
      decoder.flushSync();
      drain();
    } catch (error) {
      result.errors.push(error instanceof Error ? error.message : String(error));
    } finally {
      decoder.close();
    }
    return result;
  } finally {
    input.closeSync();
  }
}
