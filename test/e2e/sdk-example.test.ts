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

  test('the stand-alone SDK module is served at /sdk/castbridge-sdk.js with its API', async () => {
    const { page } = await harness.openStudio('/sdk/');
    const exported = await page.evaluate(async () => {
      const sdk = (await import('/sdk/castbridge-sdk.js' as string)) as Record<string, unknown>;
      return { createSession: typeof sdk.createSession, statuses: Object.keys(sdk.STREAM_STATUS as object) };
    });
    assert.equal(exported.createSession, 'function');
    assert.deepEqual(exported.statuses, ['NEW', 'PENDING', 'PUBLISHING', 'UNPUBLISHED', 'STOPPED', 'FAILED']);
  });
});
