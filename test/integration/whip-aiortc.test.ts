// A WebRTC stack nobody here wrote publishes over WHIP: Debian's aiortc (H.264 via libx264 + Opus, a 30 fps
// test picture and a 1 kHz sine) posts its own non-trickle offer to a real Castbridge host; a transponder
// started over REST pushes the stream to nginx-rtmp, and ffprobe/ffmpeg check the recording. Once with
// aiortc's offer as it is (BUNDLE, per-section ICE credentials, a=setup:actpass), once as a stack that is
// DTLS client (a=setup:active), once as one that is DTLS server (a=setup:passive), once without BUNDLE, and
// once trickling (offer without candidates, then PATCH with them; an ICE restart PATCH before is refused).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHost, type Host } from '../../src-main/host.js';
import { consoleLog, silentLog } from '../../src-relay/log.js';
import { probeStreams, videoPacketTimes } from '../helpers/media.js';
import { removeDir, startNginxRtmp, PLAIN_HOST, type NginxRtmp } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { toneAmplitude } from '../helpers/tone.js';
import { push } from '../helpers/http-client.js';

const run = promisify(execFile);
const PUBLISHER = join(import.meta.dirname, '..', 'helpers', 'aiortc-publish.py');
const PYTHON = '/usr/bin/python3';
const FPS = 30;
/** Frames between keyframes: 2 s, as broadcasters set encoders (aiortc ignores keyframe requests; see below). */
const GOP = 60;
const TONE_HZ = 1000;
const RATE = 48_000;
/** How long the transponder pushes once it publishes. */
const PUSH_MS = 5000;

type Mode = 'default' | 'active' | 'passive' | 'nobundle' | 'trickle';

interface PublisherEvent {
  event: string;
  [key: string]: unknown;
}

interface Publisher {
  events: PublisherEvent[];
  exited: Promise<number | null>;
  stderr: () => string;
  /** SIGTERM: the publisher stops sending, DELETEs its session and closes. */
  stop: () => void;
  kill: () => void;
}

function startPublisher(url: string, mode: Mode, seconds: number): Publisher {
  const child = spawn(PYTHON, [PUBLISHER, url, '--mode', mode, '--seconds', String(seconds), '--fps', String(FPS), '--gop', String(GOP), '--tone', String(TONE_HZ)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: PublisherEvent[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line) as PublisherEvent);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { events, exited, stderr: () => stderr, stop: () => child.kill('SIGTERM'), kill: () => child.kill('SIGKILL') };
}

/** The recording's first audio track as mono 48 kHz samples in −1…1. */
async function decodeAudio(file: string): Promise<Float64Array> {
  const { stdout } = await run('/usr/bin/ffmpeg', ['-v', 'error', '-i', file, '-map', '0:a:0', '-ac', '1', '-ar', String(RATE), '-f', 's16le', '-'], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  const pcm = new Float64Array(Math.floor(stdout.length / 2));
  for (let i = 0; i < pcm.length; i++) pcm[i] = stdout.readInt16LE(i * 2) / 32768;
  return pcm;
}

/** The frequency (1 Hz steps, TONE_HZ ± 100) with the most energy. */
function peakFrequency(pcm: Float64Array): number {
  let best = 0;
  let bestHz = 0;
  for (let hz = TONE_HZ - 100; hz <= TONE_HZ + 100; hz++) {
    const a = toneAmplitude(pcm, RATE, hz);
    if (a > best) [best, bestHz] = [a, hz];
  }
  return bestHz;
}

const sdpLines = (sdp: unknown, prefix: string): string[] => String(sdp).split(/\r?\n/).filter((l) => l.startsWith(prefix));

describe('WHIP from aiortc (python3-aiortc 1.4) into a Castbridge host, pushed to nginx-rtmp', { timeout: 300_000 }, () => {
  let dataDir: string;
  let host: Host;
  let nginx: NginxRtmp;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'castbridge-aiortc-'));
    [host, nginx] = await Promise.all([createHost({ dataDir, log: process.env.CASTBRIDGE_TEST_VERBOSE ? consoleLog : silentLog, overrides: PLAIN_HOST }), startNginxRtmp()]);
  });

  after(async () => {
    await host?.close();
    await nginx?.stop();
    if (dataDir) removeDir(dataDir);
  });

  const expectedAnswer: Record<Mode, { setup: string; bundle: boolean }> = {
    default: { setup: 'active', bundle: true },
    active: { setup: 'passive', bundle: true },
    passive: { setup: 'active', bundle: true },
    nobundle: { setup: 'active', bundle: false },
    trickle: { setup: 'active', bundle: true },
  };

  for (const mode of ['default', 'active', 'passive', 'nobundle', 'trickle'] as const) {
    test(`${mode} offer: the stream reaches nginx-rtmp as H.264 at ${FPS} fps and AAC with the ${TONE_HZ} Hz tone`, async (t) => {
      const streamName = `aiortc_${mode}`;
      const publisher = startPublisher(`${host.httpUrl}/whip/${streamName}`, mode, 30);
      try {
        await waitFor(`the WHIP answer (${publisher.stderr().slice(-500)})`, () => publisher.events.find((e) => e.event === 'answer'), 20_000);
        const offer = publisher.events.find((e) => e.event === 'offer')!;
        const answer = publisher.events.find((e) => e.event === 'answer')!;
        assert.equal(answer.status, 201, String(answer.sdp));
        assert.match(String(answer.location), new RegExp(`^/whip/${streamName}/[0-9a-f-]{36}$`));
        // What this run is about: the offer as sent, and the answer's complementary role and bundling.
        if (mode === 'default') {
          const ufrags = sdpLines(offer.sdp, 'a=ice-ufrag:');
          assert.equal(new Set(ufrags).size, 2, `aiortc gives each m-section its own credentials: ${ufrags.join(', ')}`);
        }
        assert.deepEqual(new Set(sdpLines(answer.sdp, 'a=setup:')), new Set([`a=setup:${expectedAnswer[mode].setup}`]));
        assert.equal(sdpLines(answer.sdp, 'a=group:BUNDLE').length, expectedAnswer[mode].bundle ? 1 : 0);
        if (mode === 'trickle') {
          assert.deepEqual(sdpLines(offer.sdp, 'a=candidate:'), [], 'the offer went without candidates');
          assert.match(String(answer.etag), /^".+"$/, 'the 201 names the ICE session');
          const restart = await waitFor('the ICE restart PATCH', () => publisher.events.find((e) => e.event === 'restart'), 10_000);
          assert.equal(restart.status, 422, String(restart.body));
          const trickle = await waitFor('the trickle PATCH', () => publisher.events.find((e) => e.event === 'trickle'), 10_000);
          assert.equal(trickle.status, 204, String(trickle.body));
        }

        await waitFor(`aiortc connected (events ${JSON.stringify(publisher.events.map((e) => e.event))})`, () => publisher.events.find((e) => e.event === 'publishing'), 20_000);
        const stream = host.registry.get(streamName);
        assert.ok(stream, 'the stream is published on the host');
        await waitFor('SPS and audio from aiortc', () => stream.params !== undefined && stream.hasAudio, 15_000);

        const started = await push(host.httpUrl, 'startup', { streamName, rtmpUrl: nginx.url('live') });
        assert.equal(started.status, 200, started.text);
        const { mediaSessionId } = started.json() as { mediaSessionId: string };
        // aiortc 1.4 ignores PLI and FIR for H.264 (its encoder drops the keyframe request): a target started
        // mid-stream gets its first picture at the publisher's next periodic keyframe (GOP; libx264's default
        // would be 250 frames, 8.3 s).
        await waitFor('the transponder PUBLISHING video', async () => {
          const found = await push(host.httpUrl, 'find', { mediaSessionId });
          const t = found.status === 200 ? (found.json() as { status: string; stats?: { fps?: number } }[])[0] : undefined;
          return t?.status === 'PUBLISHING' && (t.stats?.fps ?? 0) > 0;
        }, 20_000);
        let framesIn = 0;
        const countFrame = (): void => void framesIn++;
        stream.on('video', countFrame);
        await new Promise((r) => setTimeout(r, PUSH_MS));
        stream.off('video', countFrame);
        assert.equal((await push(host.httpUrl, 'terminate', { mediaSessionId })).status, 200);
        const file = await nginx.waitForRecording();

        const summary = await probeStreams(file);
        assert.equal(summary.video?.codec, 'h264');
        assert.equal(summary.video?.width, 640);
        assert.equal(summary.audio?.codec, 'aac');
        assert.ok(summary.durationSec > PUSH_MS / 1000 - 1, `recorded ${summary.durationSec} s`);

        // Every frame the ingest got while the target published reaches it. How many that is depends on
        // aiortc, which encodes in Python's executor and sends fewer frames on a loaded machine.
        const times = await videoPacketTimes(file);
        assert.ok(framesIn >= 30, `the ingest got ${framesIn} frames in ${PUSH_MS} ms`);
        assert.ok(times.length >= framesIn * 0.9, `${times.length} frames recorded of ${framesIn} received`);
        // The frame rate from the FLV timestamps: most spacings are one frame of the 30 fps source (33.3 ms),
        // and their mean gives the rate. Longer ones are frames aiortc did not send (a loaded machine), each
        // spacing a whole number of frames. aiortc's sender reports are late (they pair the RTP time of the
        // last packet sent with the report's wallclock, ~0.8 s late at start); the stream clock filters
        // them and steers video by at most a few ms a frame, so every spacing stays within ±5 ms of a whole
        // number of frames (the first few may carry the switch from arrival times), and no run of frames is
        // squeezed together (docs/DECISIONS.md). Whole-recording averages are not used.
        const gaps = times.slice(1).map((t, i) => Math.round((t - times[i]!) * 1000));
        const frameMs = 1000 / FPS;
        const oneFrame = gaps.filter((g) => Math.abs(g - frameMs) <= 5);
        const fps = 1000 / (oneFrame.reduce((a, b) => a + b, 0) / oneFrame.length);
        assert.ok(oneFrame.length >= gaps.length / 2, `most spacings are one frame; spacings ${gaps.join(' ')}`);
        assert.ok(Math.abs(fps - FPS) <= FPS * 0.06, `frame rate ${fps.toFixed(2)}; spacings ${gaps.join(' ')}`);
        const offGrid = gaps.slice(5).filter((g) => Math.abs(g - Math.max(1, Math.round(g / frameMs)) * frameMs) > 5);
        assert.deepEqual(offGrid, [], `every spacing after the first 5 is a whole number of frames ±5 ms; spacings ${gaps.join(' ')}`);
        let run = 0;
        let longestSqueeze = 0;
        for (const g of gaps) longestSqueeze = Math.max(longestSqueeze, (run = g < 5 ? run + 1 : 0));
        assert.ok(longestSqueeze < 3, `no run of 3 spacings under 5 ms (longest ${longestSqueeze}); spacings ${gaps.join(' ')}`);
        const squeezed = gaps.filter((g) => g < 5).length;
        const pcm = await decodeAudio(file);
        const middle = pcm.subarray(RATE, pcm.length - RATE / 2);
        assert.ok(middle.length > RATE * 2, `${(pcm.length / RATE).toFixed(1)} s of audio`);
        const hz = peakFrequency(middle);
        assert.ok(Math.abs(hz - TONE_HZ) <= 5, `the tone is at ${hz} Hz`);
        assert.ok(toneAmplitude(middle, RATE, TONE_HZ) > 0.05, 'the tone is loud, not a trace');
        t.diagnostic(`${mode}: ${fps.toFixed(2)} fps, ${times.length} frames recorded of ${framesIn} received, ${oneFrame.length}/${gaps.length} spacings one frame ±5 ms (${Math.min(...gaps)}…${Math.max(...gaps)} ms), ${squeezed} under 5 ms, tone peak ${hz} Hz, ${summary.durationSec.toFixed(1)} s recorded`);

        // The publisher hangs up the WHIP way: DELETE on its Location ends the stream at once.
        publisher.stop();
        assert.equal(await publisher.exited, 0, publisher.stderr().slice(-2000));
        assert.equal(publisher.events.find((e) => e.event === 'deleted')?.status, 200);
        assert.equal(host.registry.get(streamName), undefined);
      } finally {
        publisher.kill();
        await publisher.exited;
      }
    });
  }
});
