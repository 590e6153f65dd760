// The minimal WHIP server of RFC 9725 §4.2 over the relay's ingest API, for tests and benchmarks that drive
// WebRtcIngest without the host (the host's real route is src-main/rest/whip.ts). `GET /` serves an empty
// page for Chromium to publish from (same origin as the WHIP endpoint, so no CORS is involved).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamNameInUseError } from '../../src-relay/streams.js';
import { IngestError } from '../../src-relay/webrtc/sdp.js';

/** The part of WebRtcIngest a WHIP server needs. */
export interface WhipIngest {
  publish(streamName: string, offerSdp: string): Promise<{ sessionId: string; answerSdp: string }>;
  unpublish(sessionId: string, reason?: string): boolean;
}

export interface TestWhipServer {
  server: http.Server;
  /** http://127.0.0.1:<port> */
  base: string;
  /** Every SDP offer received, in order. */
  offers: string[];
  close(): Promise<void>;
}

/** 409 a name in use, 400 an offer the ingest refuses, 500 anything else (RFC 9725 §4.2). */
function statusOf(error: unknown): number {
  if (error instanceof StreamNameInUseError) return 409;
  if (error instanceof IngestError) return 400;
  return 500;
}

export function startWhipServer(ingest: WhipIngest): Promise<TestWhipServer> {
  const offers: string[] = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname.split('/').filter(Boolean);
    try {
      if (req.method === 'GET' && url.pathname === '/') {
        res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>whip</title>');
      } else if (req.method === 'POST' && parts[0] === 'whip' && parts.length === 2) {
        let body = '';
        for await (const chunk of req) body += chunk;
        offers.push(body);
        const { sessionId, answerSdp } = await ingest.publish(parts[1]!, body);
        res.writeHead(201, { 'Content-Type': 'application/sdp', Location: `/whip/${parts[1]}/${sessionId}` }).end(answerSdp);
      } else if (req.method === 'DELETE' && parts[0] === 'whip' && parts.length === 3) {
        res.writeHead(ingest.unpublish(parts[2]!, 'STOPPED_BY_PUBLISHER_STOP') ? 200 : 404).end();
      } else {
        res.writeHead(404).end();
      }
    } catch (error) {
      res.writeHead(statusOf(error), { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: (error as Error).message }));
    }
  });
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, offers, close });
    });
  });
}
