// Runs `node bin/castbridge.js push …` as a child process for the integration tests, bounded in time; a
// child still running when the test process exits is killed with it.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const CASTBRIDGE = join(import.meta.dirname, '..', '..', 'bin', 'castbridge.js');
/** A push of a few seconds' file, on a loaded 2-core machine. */
export const PUSH_TIMEOUT_MS = 60_000;

export interface PushResult {
  code: number;
  stderr: string;
}

export interface RunningPush {
  child: ChildProcess;
  done: Promise<PushResult>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts a push; `done` resolves with its exit code and stderr, or rejects (after killing it) on timeout. */
export function startPush(args: string[], timeoutMs = PUSH_TIMEOUT_MS): RunningPush {
  const child = spawn(process.execPath, [CASTBRIDGE, 'push', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<PushResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`castbridge push did not finish within ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      running.delete(child);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code: code ?? -1, stderr });
    });
  });
  return { child, done };
}

/** Runs a push to its end. */
export function push(args: string[], timeoutMs = PUSH_TIMEOUT_MS): Promise<PushResult> {
  return startPush(args, timeoutMs).done;
}
