// The SDK example page served by the host at /sdk/ publishes the fake camera with `rtmpUrl` (WCS's
// "WebRTC as RTMP"): the relay republishes it to nginx-rtmp, and ffprobe reads H.264 + AAC from the
// recording nginx made.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { probeStreams } from '../helpers/media.js';
import { startNginxRtmp, type NginxRtmp } from '../helpers/servers.js';
import { SHOTS, startStudioHarness, type StudioHarness } from './studio-harness.js';

const STEP_TIMEOUT_MS = 45_000;
/** How long the example publishes before it is stopped: enough for a few GOPs of audio and video. */
const PUBLISH_MS = 4000;

describe('SDK example page', { timeout: 240_000 }, () => {
  let harness: StudioHarness;
  let nginx: NginxRtmp;

  before(async () => {
    nginx = await startNginxRtmp();
    harness = await startStudioHarness();
  });

  after(async () => {
    await harness?.close();
    await nginx?.stop();
  });

  test('publishes with rtmpUrl and the stream arrives at nginx-rtmp', async () => {
    const query = new URLSearchParams({ streamName: 'sdk1', rtmpUrl: nginx.url('live'), autoplay: '1' });
    const { page, pageErrors } = await harness.openStudio(`/sdk/?${query}`);
    await page.locator('#status', { hasText: 'PUBLISHING' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    const publish = await nginx.waitForPublish(1, STEP_TIMEOUT_MS);
    assert.equal(publish.app, 'live');
    assert.equal(publish.name, 'rtmp_sdk1', 'the default prefix rtmp_ is applied to the stream name');
    assert.equal(await page.locator('#session').innerText(), 'ESTABLISHED');
    await page.waitForTimeout(PUBLISH_MS);
    await page.screenshot({ path: join(SHOTS, 'sdk-example-publishing.png') });
    await page.locator('#stop').click();
    await page.locator('#status', { hasText: 'UNPUBLISHED' }).waitFor({ timeout: STEP_TIMEOUT_MS });
    const recording = await nginx.waitForRecording(STEP_TIMEOUT_MS);
    const streams = await probeStreams(recording);
    assert.equal(streams.video?.codec, 'h264');
    assert.ok((streams.video?.width ?? 0) > 0 && (streams.video?.height ?? 0) > 0, JSON.stringify(streams));
    assert.equal(streams.audio?.codec, 'aac');
    assert.ok(streams.durationSec > 1, `recording lasts ${streams.durationSec} s`);
    assert.deepEqual(pageErrors, []);
  });

  test('SDK failures: an unreachable host fails the session, a name in use fails the stream with the host\'s reason', async () => {
    const { page } = await harness.openStudio('/sdk/');
    const result = await page.evaluate(async () => {
      type Sdk = typeof import('../../src-renderer/sdk/index.js');
      const sdk = (await import('/sdk/castbridge-sdk.js' as string)) as Sdk;
      const unreachable = await new Promise<string>((resolve) => {
        const s = sdk.createSession({ urlServer: 'ws://127.0.0.1:9' });
        s.on('FAILED', () => resolve(s.getStatus())).on('ESTABLISHED', () => resolve('ESTABLISHED?'));
      });
      const session = sdk.createSession({ urlServer: location.origin });
      await new Promise((resolve) => session.on('ESTABLISHED', resolve));
      const first = session.createStream({ name: 'dup' });
      const live = new Promise((resolve) => first.on('PUBLISHING', resolve));
      await first.publish();
      await live;
      const second = session.createStream({ name: 'dup' });
      const secondStatus = await second.publish();
      const firstAfterSecond = first.getStatus();
      first.stop();
      return { unreachable, firstAfterSecond, firstStatus: first.getStatus(), secondStatus, info: second.getInfo(), detail: second.getErrorDetail() };
    });
    assert.equal(result.unreachable, 'FAILED');
    assert.equal(result.firstAfterSecond, 'PUBLISHING', 'the refused second stream must not end the first');
    assert.equal(result.firstStatus, 'UNPUBLISHED');
    assert.equal(result.secondStatus, 'FAILED');
    assert.equal(result.info, 'FAILED_BY_HOST_REJECTION');
    assert.match(result.detail ?? '', /already being published/);
  });

  test('a session the page\'s CSP forbids (the studio may reach its own host only) fails instead of staying PENDING', async () => {
    const { page } = await harness.openStudio('/');
    const status = await page.evaluate(async () => {
      type Sdk = typeof import('../../src-renderer/sdk/index.js');
      const sdk = (await import('/sdk/castbridge-sdk.js' as string)) as Sdk;
      return new Promise<string>((resolve) => {
        const s = sdk.createSession({ urlServer: 'ws://127.0.0.1:9' });
        s.on('FAILED', () => resolve(s.getStatus())).on('ESTABLISHED', () => resolve('ESTABLISHED?'));
        setTimeout(() => resolve(`still ${s.getStatus()} after 10 s`), 10_000);
      });
    });
    assert.equal(status, 'FAILED');
  });

  test('stop() right after publish(): the SDK closes the camera it opened meanwhile and nothing stays published', async () => {
    const record = `window.__captures = []; const d = navigator.mediaDevices; const gum = d.getUserMedia.bind(d);
      d.getUserMedia = async (c) => { const s = await gum(c); window.__captures.push(s); return s; };`;
    const { page } = await harness.openStudio('/sdk/', { initScript: record });
    const published: string[] = [];
    const onPublished = (stream: { name: string }) => void published.push(stream.name);
    harness.host.registry.on('published', onPublished);
    const result = await page.evaluate(async () => {
      type Sdk = typeof import('../../src-renderer/sdk/index.js');
      const sdk = (await import('/sdk/castbridge-sdk.js' as string)) as Sdk;
      const session = sdk.createSession({ urlServer: location.origin });
      await new Promise((resolve) => session.on('ESTABLISHED', resolve));
      const stream = session.createStream({ name: 'quickstop' });
      const events: string[] = [];
      for (const name of ['PENDING', 'PUBLISHING', 'UNPUBLISHED', 'FAILED'] as const) stream.on(name, () => events.push(name));
      const publishing = stream.publish();
      stream.stop();
      const status = await publishing;
      await new Promise((r) => setTimeout(r, 1500));
      const captures = (window as unknown as { __captures: MediaStream[] }).__captures;
      return { status, events, opened: captures.length, live: captures.flatMap((c) => c.getTracks()).filter((t) => t.readyState === 'live').length };
    });
    harness.host.registry.off('published', onPublished);
    // Before the fix the offer still went out after stop(): the stream went PENDING again and was published.
    assert.deepEqual(result, { status: 'UNPUBLISHED', events: ['PENDING', 'UNPUBLISHED'], opened: 1, live: 0 });
    assert.deepEqual(published.filter((n) => n === 'quickstop'), [], 'the host never published it');
  });

  test('the stand-alone SDK module and its .d.ts are served under /sdk/', async () => {
    const { page } = await harness.openStudio('/sdk/');
    const exported = await page.evaluate(async () => {
      const sdk = (await import('/sdk/castbridge-sdk.js' as string)) as Record<string, unknown>;
      return { createSession: typeof sdk.createSession, statuses: Object.keys(sdk.STREAM_STATUS as object) };
    });
    assert.equal(exported.createSession, 'function');
    const declarations = await (await fetch(new URL('/sdk/types/stream.d.ts', harness.host.httpUrl))).text();
    assert.match(declarations, /publish\(\): Promise<StreamStatus>/, 'the SDK ships its type declarations');
    assert.deepEqual(exported.statuses, ['NEW', 'PENDING', 'PUBLISHING', 'UNPUBLISHED', 'STOPPED', 'FAILED']);
  });
});
