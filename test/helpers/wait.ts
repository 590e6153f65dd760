// Polling for a condition in tests that watch the relay's state (statuses, parameters, recordings).
const POLL_MS = 50;

/** Resolves once `check()` is true; rejects naming `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
