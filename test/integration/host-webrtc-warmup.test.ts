// The host loads its WebRTC stack (werift and its patches, with their self-test) on its own shortly after it
// listens, so that the first publish does not pay for it; a host closed before then does not load it, and
// a host told not to never does.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogFields } from '../../src-relay/log.js';
import { createHost, WEBRTC_WARM_UP_MS, type Host, type HostOptions } from '../../src-main/host.js';
import { removeDir } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const OVERRIDES = { rest_http_port: '0', rest_https_port: '0', local_rtmp_enabled: 'false', ws_port: '0', wss_port: '0' };

describe('WebRTC warm-up after listening', { timeout: 120_000 }, () => {
  const dirs: string[] = [];
  const hosts: Host[] = [];
  after(async () => {
    for (const h of hosts) await h.close().catch(() => undefined);
    for (const d of dirs) removeDir(d);
  });
  const start = async (options: Partial<HostOptions> = {}): Promise<{ host: Host; events: Array<[string, LogFields | undefined]> }> => {
    const dataDir = mkdtempSync(join(tmpdir(), 'castbridge-warmup-'));
    dirs.push(dataDir);
    const events: Array<[string, LogFields | undefined]> = [];
    const host = await createHost({ dataDir, overrides: OVERRIDES, log: (event, fields) => events.push([event, fields]), ...options });
    hosts.push(host);
    return { host, events };
  };
  const named = (events: Array<[string, LogFields | undefined]>, name: string) => events.filter(([e]) => e.startsWith(name));

  test('a host closed before the warm-up never loads werift, and one with the warm-up off never does', async () => {
    const early = await start();
    await early.host.close();
    const off = await start({ warmUpWebRtc: false });
    await new Promise((r) => setTimeout(r, WEBRTC_WARM_UP_MS * 3));
    assert.deepEqual(named(early.events, 'webrtc.'), [], 'the closed host logged no warm-up');
    assert.deepEqual(named(off.events, 'webrtc.'), [], 'warmUpWebRtc: false logged no warm-up');
    await off.host.close();
  });

  test('a listening host loads werift and its patches without any offer, and logs that it is ready', async () => {
    const { host, events } = await start();
    await waitFor('webrtc.ready', () => named(events, 'webrtc.').length > 0, 60_000, 20);
    const [[event, fields]] = named(events, 'webrtc.') as [[string, LogFields]];
    assert.equal(event, 'webrtc.ready', `the warm-up failed: ${JSON.stringify(fields)}`);
    assert.equal(typeof fields.ms, 'number');
    assert.equal(host.registry.list().length, 0, 'no stream was published to make it load');
    await host.close();
  });
});
