// Debian's Firefox ESR as a publisher, driven by puppeteer-core over WebDriver BiDi, headless: its fake
// camera and microphone (media.navigator.streams.fake), no permission prompt, and host candidates with real
// addresses instead of mDNS names (the relay resolves no .local names). Stock Firefox has no H.264 encoder
// until the OpenH264 plugin is downloaded, which never happens offline: it offers VP8, VP9 and AV1.
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const FIREFOX_PATH = '/usr/bin/firefox-esr';

export const FIREFOX_PREFS: Record<string, unknown> = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  // Loopback only on the test machine: gather its candidates too.
  'media.peerconnection.ice.loopback': true,
  // No OpenH264 download attempt (offline), no first-run pages.
  'media.gmp-gmpopenh264.enabled': false,
  'media.gmp-manager.url': '',
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  // A 'file' source plays a <video> element with sound, no user gesture in the page.
  'media.autoplay.default': 0,
};

export async function launchFirefox(): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    protocol: 'webDriverBiDi',
    extraPrefsFirefox: FIREFOX_PREFS,
    timeout: 60_000,
  });
}

export interface FirefoxWhipPublication {
  location: string;
  /** The codec of the answer's video (rtpmap name, lower case). */
  videoCodec: string;
  stop(): Promise<number>;
}

interface PageArgs {
  whipUrl: string;
  width: number;
  height: number;
  /** The one video codec to offer (setCodecPreferences), or undefined for all of Firefox's. */
  only: string | undefined;
  /** The WebM to play and capture (base64) instead of the fake camera and microphone. */
  file: string | undefined;
}

export interface FirefoxWhipOptions {
  width?: number;
  height?: number;
  only?: string;
  /**
   * 'camera' (default): the fake camera and microphone. 'file': `file` (a WebM, e.g. av-sync.ts's
   * makeMarksWebm) played by a looping <video> element and captured with mozCaptureStream(), picture and
   * sound from the file's one timeline. (Headless Firefox without a sound device never starts an
   * AudioContext, so a WebAudio beep is not an option there; a media element plays on the system clock.)
   */
  source?: 'camera' | 'file';
  file?: Buffer;
}

/** Runs inside the page (serialized by puppeteer). */
async function publishInPage(args: PageArgs): Promise<{ status: number; location: string; body: string; videoCodec: string }> {
  let player: HTMLVideoElement | undefined;
  let media: MediaStream;
  if (args.file) {
    player = document.createElement('video');
    player.loop = true;
    player.src = URL.createObjectURL(new Blob([Uint8Array.from(atob(args.file), (c) => c.charCodeAt(0))], { type: 'video/webm' }));
    document.body.appendChild(player);
    await new Promise((resolve, reject) => {
      player!.oncanplay = resolve;
      player!.onerror = () => reject(new Error(`the <video> element cannot play the file: ${player!.error?.message ?? 'unknown error'}`));
    });
    media = (player as HTMLVideoElement & { mozCaptureStream(): MediaStream }).mozCaptureStream();
    await player.play();
  } else {
    media = await navigator.mediaDevices.getUserMedia({ video: { width: args.width, height: args.height }, audio: true });
  }
  const pc = new RTCPeerConnection({ iceServers: [] });
  for (const track of media.getTracks()) {
    const transceiver = pc.addTransceiver(track, { direction: 'sendonly', streams: [media] });
    if (track.kind === 'video' && args.only) {
      const codecs = RTCRtpSender.getCapabilities('video')?.codecs ?? [];
      transceiver.setCodecPreferences(codecs.filter((c) => c.mimeType.toLowerCase() === `video/${args.only}`));
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
  const response = await fetch(args.whipUrl, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription!.sdp });
  const body = await response.text();
  if (response.status !== 201) {
    pc.close();
    for (const track of media.getTracks()) track.stop();
    player?.pause();
    return { status: response.status, location: '', body, videoCodec: '' };
  }
  await pc.setRemoteDescription({ type: 'answer', sdp: body });
  const video = body.split('m=video')[1] ?? '';
  const videoCodec = (/a=rtpmap:\d+ ([^/]+)\//.exec(video)?.[1] ?? '').toLowerCase();
  const location = new URL(response.headers.get('Location') ?? '', args.whipUrl).href;
  const w = window as unknown as { __whip?: { location: string; release: () => void }[] };
  (w.__whip ??= []).push({
    location,
    release: () => {
      pc.close();
      for (const track of media.getTracks()) track.stop();
      player?.pause();
    },
  });
  return { status: 201, location, body: '', videoCodec };
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
 * In `page` (on a page of the WHIP server's origin), publishes Firefox's fake camera and microphone (or a file
 * played in the page) over WHIP, non-trickle. A POST answered with anything but 201 is an error naming the status and body.
 */
export async function publishWhipFirefox(page: Page, whipUrl: string, opts: FirefoxWhipOptions = {}): Promise<FirefoxWhipPublication> {
  if (opts.source === 'file' && !opts.file) throw new Error("publishWhipFirefox: source 'file' needs the file's bytes in opts.file");
  const args: PageArgs = { whipUrl, width: opts.width ?? 640, height: opts.height ?? 480, only: opts.only, file: opts.source === 'file' ? opts.file!.toString('base64') : undefined };
  // tsx compiles with esbuild's keepNames: the named functions inside publishInPage call its __name helper.
  await page.evaluate('globalThis.__name ??= (f) => f');
  const answer = await page.evaluate(publishInPage, args);
  if (answer.status !== 201) throw new Error(`WHIP POST answered ${answer.status}: ${answer.body.slice(0, 300)}`);
  return {
    location: answer.location,
    videoCodec: answer.videoCodec,
    stop: () => (page.isClosed() ? Promise.resolve(-1) : page.evaluate(stopInPage, answer.location)),
  };
}
