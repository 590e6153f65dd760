// "An rtmpUrl whose host does not resolve is 400" (docs/DESIGN.md §4): checked with the system resolver
// (dns.lookup, what the RTMP client's connect will use), bounded in time.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { HttpError } from './errors.js';

const LOOKUP_TIMEOUT_MS = 5000;

export async function resolveWithDns(hostname: string): Promise<void> {
  if (isIP(hostname) !== 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), LOOKUP_TIMEOUT_MS);
  });
  try {
    await Promise.race([lookup(hostname), timeout]);
  } catch {
    throw new HttpError(400, `rtmpUrl host "${hostname.slice(0, 253)}" does not resolve`);
  } finally {
    clearTimeout(timer);
  }
}
