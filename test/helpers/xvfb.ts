// An X display of its own for a headful Chromium: headless Chromium reports a tab behind another as
// "visible" and never throttles it, so a hidden tab needs a real window system (and a driver that does not
// make every page report itself visible, as Playwright does: puppeteer-core). Xvfb picks a free display
// number itself (-displayfd) and writes it back, so benches and tests beside other X servers do not collide.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const XVFB = '/usr/bin/Xvfb';
const START_TIMEOUT_MS = 10_000;

export interface Xvfb {
  /** The DISPLAY value, e.g. ":1". */
  display: string;
  stop(): void;
}

/** Starts Xvfb with one `width`×`height` 24-bit screen; fails with the install command when it is missing. */
export async function startXvfb(width = 1920, height = 1080): Promise<Xvfb> {
  if (!existsSync(XVFB)) throw new Error(`a hidden tab needs Xvfb (${XVFB} is missing): apt-get install -y xvfb`);
  const child = spawn(XVFB, ['-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr?.on('data', (d: Buffer) => (errors += d.toString()));
  const display = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`Xvfb gave no display within ${START_TIMEOUT_MS} ms: ${errors.slice(-500)}`)), START_TIMEOUT_MS);
    function fail(error: Error): void {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    }
    child.once('exit', (code) => fail(new Error(`Xvfb exited (${code}): ${errors.slice(-500)}`)));
    child.stdio[3]!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve(`:${out.trim()}`);
    });
  });
  return { display, stop: () => child.kill('SIGTERM') };
}
