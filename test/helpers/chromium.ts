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

/** How long a WHIP publish may take in the page by default (getUserMedia, ICE gathering, the POST). */
const PUBLISH_TIMEOUT_MS = 30_000;

export interface ChromiumOptions {
  /** Frame rate of the fake camera (docs/DESIGN.md §9: it runs at 20 fps unless told). Default 30. */
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
  /** Publish the fake microphone too (source 'camera'). Default true. */
  audio?: boolean;
  /** H.264 simulcast: one encoding per entry (RFC 8853 rids), largest first. Default: one encoding. */
  simulcast?: SimulcastLayer[];
  /**
   * 'camera' (default): the fake camera and microphone. 'marks': a canvas whose corner box (MARK_BOX) turns
   * white exactly when a WebAudio beep sounds, every markPeriodMs, for measuring the A/V offset at a server.
   */
  source?: 'camera' | 'marks';
  /** Default 1000. */
  markPeriodMs?: number;
  /**
   * Send the offer without candidates and let the page's window.__whipRewriteAnswer (a function the caller
   * exposed with page.exposeFunction) rewrite the answer before it is set.
   */
  rewriteAnswer?: boolean;
  /** How long the publish may take in the page (getUserMedia, ICE gathering, the POST). Default 30 s. */
  timeoutMs?: number;
  /** The one video codec offered (setCodecPreferences). Default h264. */
  videoCodec?: 'h264' | 'av1' | 'vp9' | 'vp8';
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

/** The corner box of the 'marks' source that turns white at each beep (x, y, width, height in pixels). */
export const MARK_BOX = { x: 0, y: 0, width: 160, height: 90 } as const;

export interface WhipPublication {
  /** The Location the WHIP server answered with, resolved against whipUrl. */
  location: string;
  /**
   * Closes the peer connection, stops the tracks and DELETEs the WHIP resource; answers the DELETE's status
   * (-1 when the page is closed, no longer holds the publication, or the DELETE could not be sent).
   */
  stop(): Promise<number>;
}

interface PageArgs {
  whipUrl: string;
  width: number;
  height: number;
  fps: number;
  audio: boolean;
  simulcast: SimulcastLayer[] | undefined;
  source: 'camera' | 'marks';
  markPeriodMs: number;
  markBox: typeof MARK_BOX;
  rewriteAnswer: boolean;
  videoCodec: string;
}

/** Runs inside the page: everything here is browser code, serialized by playwright. */
async function publishInPage(args: PageArgs): Promise<{ status: number; location: string; body: string }> {
  let media: MediaStream;
  let stopDraw: (() => void) | undefined;
  if (args.source === 'camera') {
    media = await navigator.mediaDevices.getUserMedia({
      video: { width: { exact: args.width }, height: { exact: args.height }, frameRate: { ideal: args.fps } },
      audio: args.audio,
    });
  } else {
    const canvas = document.createElement('canvas');
    canvas.width = args.width;
    canvas.height = args.height;
    document.body.appendChild(canvas);
    const g = canvas.getContext('2d')!;
    const ctx = new AudioContext({ sampleRate: 48000 });
    await ctx.resume();
    const osc = ctx.createOscillator();
    osc.frequency.value = 1000;
    const gain = ctx.createGain();
    gain.gain.value = 0;
    const dest = ctx.createMediaStreamDestination();
    osc.connect(gain).connect(dest);
    osc.start();
    const period = args.markPeriodMs / 1000;
    const beep = 0.1;
    // Beeps are scheduled on the audio clock, sample-exact; the picture reads the same clock each frame.
    const first = Math.ceil(ctx.currentTime + 0.5);
    let scheduled = first;
    const schedule = (): void => {
      while (scheduled < ctx.currentTime + 2) {
        gain.gain.setValueAtTime(0.5, scheduled);
        gain.gain.setValueAtTime(0, scheduled + beep);
        scheduled += period;
      }
    };
    schedule();
    let frame = 0;
    let flashing = false;
    // How late each flash was drawn after its beep started (ms): the publisher's own share of an offset.
    const lags: number[] = ((window as unknown as { __whipMarkLags: number[] }).__whipMarkLags = []);
    const box = args.markBox;
    const draw = (): void => {
      schedule();
      const t = ctx.currentTime;
      const phase = t >= first ? (t - first) % period : period;
      const flash = phase < beep;
      if (flash && !flashing) lags.push(Math.round(phase * 1000));
      flashing = flash;
      g.fillStyle = '#202020';
      g.fillRect(0, 0, canvas.width, canvas.height);
      // The mark is small enough not to make the encoder cut a keyframe; moving detail elsewhere gives the
      // encoder something to send between marks.
      g.fillStyle = flash ? '#ffffff' : '#000000';
      g.fillRect(box.x, box.y, box.width, box.height);
      g.fillStyle = '#808080';
      g.fillRect((frame * 7) % canvas.width, canvas.height / 3, 40, canvas.height / 3);
      g.fillStyle = '#a0a0a0';
      g.font = '24px sans-serif';
      g.fillText(String(frame), 10, canvas.height - 20);
      frame++;
    };
    const timer = setInterval(draw, 1000 / 60);
    stopDraw = () => {
      clearInterval(timer);
      void ctx.close();
    };
    const video = canvas.captureStream(60);
    media = new MediaStream([...video.getVideoTracks(), ...dest.stream.getAudioTracks()]);
  }
  const pc = new RTCPeerConnection({ iceServers: [] });
  const release = (): void => {
    pc.close();
    for (const track of media.getTracks()) track.stop();
    stopDraw?.();
  };
  for (const track of media.getTracks()) {
    const sendEncodings = track.kind === 'video' ? args.simulcast?.map((layer) => ({ ...layer })) : undefined;
    const transceiver = pc.addTransceiver(track, { direction: 'sendonly', streams: [media], ...(sendEncodings ? { sendEncodings } : {}) });
    if (track.kind === 'video') {
      const wanted = RTCRtpReceiver.getCapabilities('video')?.codecs.filter((c) => c.mimeType.toLowerCase() === `video/${args.videoCodec}`) ?? [];
      if (wanted.length === 0) {
        release();
        throw new Error(`this Chromium offers no ${args.videoCodec} encoder`);
      }
      transceiver.setCodecPreferences(wanted);
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
  const offer = args.rewriteAnswer
    ? pc.localDescription!.sdp.split('\r\n').filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates').join('\r\n')
    : pc.localDescription!.sdp;
  const response = await fetch(args.whipUrl, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: offer });
  let body = await response.text();
  if (response.status !== 201) {
    release();
    return { status: response.status, location: '', body };
  }
  if (args.rewriteAnswer) body = await (window as unknown as { __whipRewriteAnswer: (sdp: string) => Promise<string> }).__whipRewriteAnswer(body);
  await pc.setRemoteDescription({ type: 'answer', sdp: body });
  const location = new URL(response.headers.get('Location') ?? '', args.whipUrl).href;
  const w = window as unknown as { __whip?: { location: string; release: () => void }[] };
  (w.__whip ??= []).push({ location, release });
  return { status: 201, location, body: '' };
}

async function stopInPage(location: string): Promise<number> {
  const w = window as unknown as { __whip?: { location: string; release: () => void }[] };
  const i = w.__whip?.findIndex((e) => e.location === location) ?? -1;
  if (i < 0) return -1;
  w.__whip!.splice(i, 1)[0]!.release();
  return fetch(location, { method: 'DELETE' }).then(
    (res) => res.status,
    () => -1,
  );
}

/**
 * In `page` (navigate it first to a page of the WHIP server so that fetch is same-origin), publishes the
 * fake camera+mic (or the 'marks' canvas and beeps) at width x height@fps with degradationPreference
 * 'maintain-resolution', H.264 (or opts.videoCodec) + Opus, sendonly, non-trickle (waits for ICE gathering), POSTs the offer to
 * whipUrl and sets the answer. A POST answered with anything but 201 is an error naming the status.
 */
export async function publishWhip(page: Page, whipUrl: string, opts: WhipPublishOptions = {}): Promise<WhipPublication> {
  const args: PageArgs = {
    whipUrl,
    width: opts.width ?? 1280,
    height: opts.height ?? 720,
    fps: opts.fps ?? 30,
    audio: opts.audio ?? true,
    simulcast: opts.simulcast,
    source: opts.source ?? 'camera',
    markPeriodMs: opts.markPeriodMs ?? 1000,
    markBox: MARK_BOX,
    rewriteAnswer: opts.rewriteAnswer ?? false,
    videoCodec: opts.videoCodec ?? 'h264',
  };
  // tsx compiles with esbuild's keepNames: the named functions inside publishInPage call its __name helper.
  await page.evaluate('globalThis.__name ??= (f) => f');
  const answer = await withTimeout(page.evaluate(publishInPage, args), opts.timeoutMs ?? PUBLISH_TIMEOUT_MS, 'WHIP publish in Chromium');
  if (answer.status !== 201) throw new Error(`WHIP POST answered ${answer.status}: ${answer.body.slice(0, 300)}`);
  const { location } = answer;
  return {
    location,
    stop: async () => (page.isClosed() ? -1 : withTimeout(page.evaluate(stopInPage, location), 15_000, 'WHIP stop in Chromium')),
  };
}

/** How late (ms) the 'marks' source in this page drew each flash after its beep began. */
export function markLags(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { __whipMarkLags?: number[] }).__whipMarkLags ?? []);
}

/** Rejects naming `what` when `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
