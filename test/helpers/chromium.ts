// Debian's Chromium driven by playwright-core, publishing its fake camera and microphone over WHIP
// (RFC 9725). Shared by the ingest, host and end-to-end tests: keep the API stable.
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const BASE_ARGS = [
  '--no-sandbox',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // Chromium throttles timers and media in hidden/occluded windows; a headless test page is both.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/** How long a WHIP publish may take in the page (getUserMedia, ICE gathering, the POST). */
const PUBLISH_TIMEOUT_MS = 30_000;

export interface ChromiumOptions {
  /** Frame rate of the fake camera (DESIGN §9: it runs at 20 fps unless told). Default 30. */
  fps?: number;
  /** Flags added to the common ones, e.g. `--use-file-for-fake-audio-capture=…`. */
  extraArgs?: string[];
  /** Another executable, e.g. a wrapper that runs Chromium in a network namespace. */
  executablePath?: string;
  width?: number;
  height?: number;
}

export async function launchChromium(opts: ChromiumOptions = {}): Promise<Browser> {
  const fps = opts.fps ?? 30;
  const args = BASE_ARGS.map((arg) =>
    arg === '--use-fake-device-for-media-stream' ? `--use-fake-device-for-media-stream=fps=${fps}` : arg,
  );
  return chromium.launch({ executablePath: opts.executablePath ?? CHROMIUM_PATH, headless: true, args: [...args, ...(opts.extraArgs ?? [])], timeout: 60_000 });
}

export interface WhipPublishOptions {
  width?: number;
  height?: number;
  fps?: number;
  /** Publish the fake microphone too. Default true. */
  audio?: boolean;
  /** H.264 simulcast: one encoding per entry (RFC 8853 rids), largest first. Default: one encoding. */
  simulcast?: SimulcastLayer[];
}

export interface SimulcastLayer {
  rid: string;
  scaleResolutionDownBy: number;
  /** Bits per second. */
  maxBitrate: number;
}

/** Three layers of a 720p capture: 720p at 2.5 Mb/s, 360p at 800 kb/s, 180p at 250 kb/s. */
export const THREE_LAYERS: SimulcastLayer[] = [
  { rid: 'h', scaleResolutionDownBy: 1, maxBitrate: 2_500_000 },
  { rid: 'm', scaleResolutionDownBy: 2, maxBitrate: 800_000 },
  { rid: 'l', scaleResolutionDownBy: 4, maxBitrate: 250_000 },
];

export interface WhipPublication {
  /** The Location the WHIP server answered with, resolved against whipUrl. */
  location: string;
  /** Closes the peer connection, stops the tracks and DELETEs the WHIP resource. */
  stop(): Promise<void>;
}

interface PageArgs {
  whipUrl: string;
  width: number;
  height: number;
  fps: number;
  audio: boolean;
  simulcast: SimulcastLayer[] | undefined;
}

/** Runs inside the page: everything here is browser code, serialized by playwright. */
async function publishInPage(args: PageArgs): Promise<string> {
  const media = await navigator.mediaDevices.getUserMedia({
    video: { width: { exact: args.width }, height: { exact: args.height }, frameRate: { ideal: args.fps } },
    audio: args.audio,
  });
  const pc = new RTCPeerConnection({ iceServers: [] });
  for (const track of media.getTracks()) {
    const sendEncodings = track.kind === 'video' ? args.simulcast?.map((layer) => ({ ...layer })) : undefined;
    const transceiver = pc.addTransceiver(track, { direction: 'sendonly', streams: [media], ...(sendEncodings ? { sendEncodings } : {}) });
    if (track.kind === 'video') {
      const h264 = RTCRtpReceiver.getCapabilities('video')?.codecs.filter((c) => /h264/i.test(c.mimeType)) ?? [];
      if (h264.length === 0) throw new Error('this Chromium offers no H.264 encoder');
      transceiver.setCodecPreferences(h264);
      const params = transceiver.sender.getParameters();
      (params as RTCRtpSendParameters & { degradationPreference?: string }).degradationPreference =
        'maintain-resolution';
      await transceiver.sender.setParameters(params);
    }
  }
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const timer = setTimeout(resolve, 5000);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const response = await fetch(args.whipUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp' },
    body: pc.localDescription!.sdp,
  });
  const body = await response.text();
  if (response.status !== 201) throw new Error(`WHIP POST answered ${response.status}: ${body}`);
  await pc.setRemoteDescription({ type: 'answer', sdp: body });
  const location = new URL(response.headers.get('Location') ?? '', args.whipUrl).href;
  const w = window as unknown as { __whip?: { pc: RTCPeerConnection; media: MediaStream; location: string }[] };
  (w.__whip ??= []).push({ pc, media, location });
  return location;
}

async function stopInPage(location: string): Promise<void> {
  const w = window as unknown as { __whip?: { pc: RTCPeerConnection; media: MediaStream; location: string }[] };
  const entry = w.__whip?.find((e) => e.location === location);
  if (!entry) return;
  entry.pc.close();
  for (const track of entry.media.getTracks()) track.stop();
  await fetch(location, { method: 'DELETE' }).catch(() => undefined);
}

/**
 * In `page` (navigate it first to a page of the WHIP server so that fetch is same-origin), publishes the
 * fake camera+mic at width x height@fps with degradationPreference 'maintain-resolution', H.264 + Opus,
 * sendonly, non-trickle (waits for ICE gathering), POSTs the offer to whipUrl and sets the answer.
 */
export async function publishWhip(page: Page, whipUrl: string, opts: WhipPublishOptions = {}): Promise<WhipPublication> {
  const args: PageArgs = {
    whipUrl,
    width: opts.width ?? 1280,
    height: opts.height ?? 720,
    fps: opts.fps ?? 30,
    audio: opts.audio ?? true,
    simulcast: opts.simulcast,
  };
  const location = await withTimeout(page.evaluate(publishInPage, args), PUBLISH_TIMEOUT_MS, 'WHIP publish in Chromium');
  return {
    location,
    stop: async () => {
      if (!page.isClosed()) await withTimeout(page.evaluate(stopInPage, location), 10_000, 'WHIP stop in Chromium');
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
