// The `castbridge` command (bin/castbridge.js): `push` streams a file to an RTMP target; anything else runs
// the studio host (headless.ts, or the Electron shell that wraps the same host).
import { PUSH_USAGE, runPush } from './cli/push.js';

export const USAGE = `usage:
  castbridge [--headless] [--data-dir DIR] [--set key=value ...]      run the studio / host
  castbridge push FILE.flv RTMP_URL [--stream-name NAME] [--set k=v]  stream a file to a target
  castbridge --help | castbridge push --help

${PUSH_USAGE}`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === 'push') return runPush(rest);
  return (await import('./headless.js')).runHost(argv);
}
