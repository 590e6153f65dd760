// The ingest's UDP sockets get a receive buffer that rides out a busy event loop (werift-sockets.ts): found
// where werift 0.24 keeps them, enlarged up to what the kernel allows.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebRtcIngest } from '../../../src-relay/webrtc/ingest.js';
import { enlargeReceiveBuffers, RECEIVE_BUFFER_BYTES } from '../../../src-relay/webrtc/werift-sockets.js';
import { StreamRegistry } from '../../../src-relay/streams.js';

const OFFER = readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'sdp', 'aiortc-1.4-offer.sdp'), 'utf8');
const ingest = new WebRtcIngest(new StreamRegistry());
after(() => ingest.closeAll());

/** Linux: what a socket may get (rmem_max; getsockopt reports twice the request). Elsewhere: unknown. */
function kernelCap(): number | undefined {
  try {
    return Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
  } catch {
    return undefined;
  }
}

test('every UDP socket of a published session has the larger receive buffer the kernel allows', async () => {
  const { sessionId } = await ingest.publish('cam', OFFER);
  const pc = (ingest as unknown as { sessions: Map<string, { pc: Parameters<typeof enlargeReceiveBuffers>[0] }> }).sessions.get(sessionId)!.pc;
  const report = enlargeReceiveBuffers(pc);
  assert.equal(report.problem, undefined, 'werift still keeps its sockets where we look');
  assert.ok(report.sockets >= 1, `${report.sockets} sockets`);
  const cap = kernelCap();
  const expected = cap === undefined ? RECEIVE_BUFFER_BYTES : Math.min(RECEIVE_BUFFER_BYTES, cap);
  assert.ok(report.grantedBytes >= expected, `granted ${report.grantedBytes} bytes, expected at least ${expected}`);
});
