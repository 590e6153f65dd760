// The one polling helper of the tests and the soak: wait until a condition holds (a status, a parameter set,
// a recording), naming what was awaited when it does not.
const POLL_MS = 50;

/**
 * Calls `check` (sync or async) every `everyMs` until it gives a value other than undefined or false, and
 * resolves with that value; rejects naming `what` after `timeoutMs`.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | PromiseLike<T | undefined | false>,
  timeoutMs: number,
  everyMs = POLL_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
