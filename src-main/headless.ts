// `castbridge [--headless] [--data-dir DIR] [--set key=value ...]`: the host without Electron (CLI, servers,
// CI). Prints the studio URL; Ctrl-C / SIGTERM ends every transponder cleanly and resolves 0.
import { consoleLog } from '../src-relay/index.js';
import { defaultDataDir } from './config/paths.js';
import { createHost } from './host.js';

export interface HostArgs {
  dataDir: string;
  overrides: Record<string, string>;
}

export class UsageError extends Error {}

export const HOST_USAGE = 'usage: castbridge [--headless] [--data-dir DIR] [--set key=value ...]';

export function parseHostArgs(argv: readonly string[]): HostArgs {
  const args: HostArgs = { dataDir: defaultDataDir(), overrides: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (name: string): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value\n${HOST_USAGE}`);
      return v;
    };
    if (arg === '--headless') continue;
    if (arg === '--data-dir') args.dataDir = value(arg);
    else if (arg.startsWith('--data-dir=')) args.dataDir = arg.slice('--data-dir='.length);
    else if (arg === '--set' || arg.startsWith('--set=')) addOverride(args, arg === '--set' ? value(arg) : arg.slice('--set='.length));
    else throw new UsageError(`unknown argument "${arg}"\n${HOST_USAGE}`);
  }
  return args;
}

function addOverride(args: HostArgs, pair: string): void {
  const eq = pair.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set needs key=value, got "${pair}"`);
  args.overrides[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
}

export async function runHost(argv: string[]): Promise<number> {
  let args: HostArgs;
  try {
    args = parseHostArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  let host;
  try {
    host = await createHost({ dataDir: args.dataDir, overrides: args.overrides, log: consoleLog });
  } catch (err) {
    process.stderr.write(`castbridge: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`Castbridge studio: ${host.httpUrl}/\n`);
  if (host.httpsUrl) process.stdout.write(`HTTPS (self-signed unless configured): ${host.httpsUrl}/\n`);
  if (host.localRtmp) process.stdout.write(`Embedded RTMP server: ${host.localRtmp.rtmpUrl}\n`);
  if (host.wcsUrl || host.wcsTlsUrl) {
    process.stdout.write(`WCS Web SDK urlServer: ${[host.wcsUrl, host.wcsTlsUrl].filter(Boolean).join(' or ')}\n`);
  }
  for (const reason of host.wcsUnavailable) process.stdout.write(`WCS WebSocket off: ${reason}\n`);
  process.stdout.write(`Data folder: ${host.dataDir}\n`);
  await untilSignal();
  await host.close();
  return 0;
}

/**
 * Resolves on the first SIGINT/SIGTERM. The listener stays for the rest of the process: a second signal
 * while closing is ignored rather than killing the host half-way (Ctrl-C under `npm start` arrives twice,
 * from the terminal and forwarded by bin/start.js; node-media-server's store re-raises the signal it got).
 * A listener does not keep the process alive, so it still exits once closed.
 */
function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) {
        consoleLog('host.signal_ignored', { signal, reason: 'already stopping' });
        return;
      }
      received = true;
      consoleLog('host.signal', { signal });
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
