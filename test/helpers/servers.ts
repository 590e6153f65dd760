// Real RTMP servers for tests, each started by the test itself on ephemeral loopback ports with its own
// temp dir, and stopped (also on failure) by the test: nginx with the RTMP module (records FLV and reports
// on_publish to a tiny HTTP hook server in this process), node-media-server (in a child process: its
// state is a process-wide singleton and a port clash makes it call process.exit), and `ffmpeg -listen 1`.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { createServer as createTcpServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const NGINX = '/usr/sbin/nginx';
const NGINX_RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';
const NGINX_STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';
const OPENSSL = '/usr/bin/openssl';
const FFMPEG = '/usr/bin/ffmpeg';
const START_TIMEOUT_MS = 15_000;
const FFMPEG_LISTEN_TIMEOUT_S = 300;
const STOP_TIMEOUT_MS = 10_000;
/** Form fields nginx-rtmp posts with on_connect/on_publish; the rest are the client's query args (of the
 *  connect app for on_connect, of the publish name for on_publish). */
const NGINX_NOTIFY_FIELDS = new Set(['call', 'app', 'name', 'tcurl', 'flashver', 'swfurl', 'pageurl', 'addr', 'clientid', 'type', 'epoch']);

/** A TCP port nobody listens on right now (the OS picks it; a tiny race remains until it is used). */
export async function freePort(): Promise<number> {
  const server = createTcpServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!port) throw new Error('the OS gave no ephemeral port');
  return port;
}

/** Host settings for a test that needs only plain HTTP and the WebSocket: every port chosen by the system,
 *  no HTTPS listener, no embedded RTMP server. */
export const PLAIN_HOST = { rest_http_port: '0', rest_https_enabled: 'false', local_rtmp_enabled: 'false', ws_port: '0', wss_port: '0' } as const;

/** Host settings for a WebSocket client that must know the port before the host starts (the WCS Web SDK
 *  pages are given their URL): PLAIN_HOST with fixed free WS/WSS ports and `origin` allowed. */
export async function wsHostOverrides(origin: string): Promise<Record<string, string>> {
  return { ...PLAIN_HOST, ws_port: String(await freePort()), wss_port: String(await freePort()), allowed_origins: origin };
}

/** Host settings of the studio tests: ephemeral REST ports and the embedded RTMP server (the studio's
 *  preview) on free ports. */
export async function studioHostOverrides(): Promise<Record<string, string>> {
  return { rest_http_port: '0', rest_https_port: '0', local_rtmp_port: String(await freePort()), local_rtmp_http_port: String(await freePort()), ws_port: '0', wss_port: '0' };
}

/** True when something listens on 127.0.0.1:port, read from /proc/net/tcp (a probe connection would be
 *  the one connection `ffmpeg -listen 1` accepts). Falls back to a connect probe off Linux. */
async function isListening(port: number): Promise<boolean> {
  const TCP_LISTEN = '0A';
  if (existsSync('/proc/net/tcp')) {
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    const lines = ['/proc/net/tcp', '/proc/net/tcp6'].filter(existsSync).flatMap((f) => readFileSync(f, 'utf8').split('\n').slice(1));
    return lines.some((line) => {
      const [, local, , state] = line.trim().split(/\s+/);
      return local?.endsWith(`:${hexPort}`) && state === TCP_LISTEN;
    });
  }
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function waitForListen(port: number, child: ChildProcess, what: string, log: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before listening on ${port}:\n${log()}`);
    }
    if (await isListening(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms:\n${log()}`);
}

/** Ends a child: the polite signal, then SIGKILL if it lingers; resolves once it has exited. */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * Runs "$@" (nginx) and stops it with SIGQUIT (graceful) when our end of its stdin closes: on stop(), or
 * when the test process dies, so that no nginx outlives the test that started it. Exits with its code.
 */
const STDIN_WATCHDOG = `exec 3<&0
"$@" </dev/null &
server=$!
( read -r _ <&3; kill -QUIT $server 2>/dev/null ) &
watcher=$!
wait $server
code=$?
kill $watcher 2>/dev/null
exit $code`;

/** Stops a child started under STDIN_WATCHDOG; SIGKILLs the server (by its pid file) if it lingers. */
async function stopWatchdogged(child: ChildProcess, pidFile: string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.stdin?.end();
  const timer = setTimeout(() => {
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
    if (pid > 0) process.kill(pid, 'SIGKILL');
    child.kill('SIGKILL');
  }, STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function collectOutput(child: ChildProcess, limit = 64 * 1024): () => string {
  let text = '';
  const add = (chunk: Buffer): void => {
    text = (text + chunk.toString()).slice(-limit);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => text;
}

const MAX_HOOK_REQUEST = 64 * 1024;

/**
 * The HTTP endpoint of nginx-rtmp's notify calls. A raw TCP server: nginx-rtmp's netcall speaks HTTP/1.0
 * and waits for the connection to close, which Node's http server does not do in time for it.
 */
function startHookServer(onCall: (fields: Record<string, string>) => number | void): Server {
  const server = createTcpServer((socket) => {
    let data = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length > MAX_HOOK_REQUEST) return void socket.destroy();
      const headerEnd = data.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const length = Number(/content-length:\s*(\d+)/i.exec(data.subarray(0, headerEnd).toString())?.[1] ?? 0);
      if (data.length < headerEnd + 4 + length) return;
      const status = onCall(Object.fromEntries(new URLSearchParams(data.subarray(headerEnd + 4, headerEnd + 4 + length).toString()))) ?? 200;
      socket.end(`HTTP/1.0 ${status} ${status === 200 ? 'OK' : 'Forbidden'}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok`);
    });
  });
  server.listen(0, '127.0.0.1');
  return server;
}

export interface OnPublish {
  app: string;
  name: string;
  tcurl: string;
  flashver: string;
  args: Record<string, string>;
}

export interface NginxRtmp {
  port: number;
  url(app?: string): string;
  recordDir: string;
  recordings(): string[];
  publishes: OnPublish[];
  waitForPublish(count?: number, timeoutMs?: number): Promise<OnPublish>;
  /** Publishes on_publish refused (403) by `refusePublish`. */
  refused: OnPublish[];
  /** on_publish_done calls: a publisher went away (its `args` are the publish name's only). */
  publishDones: OnPublish[];
  waitForPublishDone(count?: number, timeoutMs?: number): Promise<OnPublish>;
  waitForRecording(timeoutMs?: number): Promise<string>;
  /** nginx's error log so far: `info` level, or with `debugLog` started, the debug one (Debian builds nginx --with-debug). */
  errorLog(level?: 'info' | 'debug'): string;
  /** SIGKILL: the server vanishes as in a crash (recordings stay as far as written, unfinalized). */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export interface NginxRtmpConf {
  /** The folder of the pid file and error.log (and debug.log). */
  dir: string;
  /** address:port */
  listen: string;
  /** Where each application records every publish (record all, unique names). */
  recordDir: string;
  /** Default ['live']. */
  apps?: string[];
  /** Omitted: nginx-rtmp's default. */
  chunkSize?: number;
  /** HTTP notifications to `url`/<event>: on_connect for the server, the others for each application. */
  hooks?: { url: string; events: Array<'connect' | 'publish' | 'publish_done' | 'record_done'> };
  /** Also log at debug level, to debug.log. */
  debugLog?: boolean;
}

/** The nginx.conf of an nginx-rtmp test server (the tests' startNginxRtmp, a restartable one, the soak's). */
export function nginxRtmpConf(c: NginxRtmpConf): string {
  const hook = (event: 'connect' | 'publish' | 'publish_done' | 'record_done'): string =>
    c.hooks?.events.includes(event) ? `\n${event === 'connect' ? '    ' : '      '}on_${event} ${c.hooks.url}/${event};` : '';
  const applications = (c.apps ?? ['live'])
    .map(
      (app) => `
    application ${app} {
      live on;
      record all;
      record_path ${c.recordDir};
      record_unique on;${hook('publish')}${hook('publish_done')}${hook('record_done')}
    }`,
    )
    .join('');
  return `load_module ${NGINX_RTMP_MODULE};
daemon off;
master_process off;
error_log ${join(c.dir, 'error.log')} info;${c.debugLog ? `
error_log ${join(c.dir, 'debug.log')} debug;` : ''}
pid ${join(c.dir, 'nginx.pid')};
events { worker_connections 64; }
rtmp {
  server {
    listen ${c.listen};${c.chunkSize !== undefined ? `\n    chunk_size ${c.chunkSize};` : ''}${hook('connect')}${applications}
  }
}
`;
}

/**
 * nginx with the RTMP module: records every publish to FLV and captures on_publish. `args` of a publish are
 * the query args of its publish name merged over those of its connect (nginx splits `app?query` in connect).
 * nginx reports flashver cut to 31 characters. `debugLog`: also log at debug level (errorLog('debug')).
 * `refusePublish`: on_publish answers 403 to the publishes it returns true for (nginx drops the connection).
 */
export async function startNginxRtmp(opts?: { apps?: string[]; debugLog?: boolean; refusePublish?: (publish: OnPublish) => boolean; port?: number }): Promise<NginxRtmp> {
  const apps = opts?.apps ?? ['live'];
  const dir = mkdtempSync(join(tmpdir(), 'castbridge-nginx-'));
  const recordDir = join(dir, 'rec');
  mkdirSync(recordDir);
  mkdirSync(join(dir, 'logs'));
  const publishes: OnPublish[] = [];
  const refused: OnPublish[] = [];
  const publishDones: OnPublish[] = [];
  const recorded: string[] = [];
  let recordedTaken = 0;
  const waiters = new Set<() => void>();
  const notify = (): void => waiters.forEach((w) => w());

  // on_connect carries no clientid: a publish takes the args of the latest connect with its app and tcUrl.
  const connects: { app: string; tcurl: string; args: Record<string, string> }[] = [];
  const hooks = startHookServer((fields) => {
    const own = Object.fromEntries(Object.entries(fields).filter(([k]) => !NGINX_NOTIFY_FIELDS.has(k)));
    if (fields.call === 'connect') {
      connects.push({ app: fields.app ?? '', tcurl: fields.tcurl ?? '', args: own }); // "live?user=u" → user=u
    } else if (fields.call === 'publish') {
      const connect = [...connects].reverse().find((c) => c.app === fields.app && c.tcurl === fields.tcurl);
      const args = { ...connect?.args, ...own };
      const publish = { app: fields.app ?? '', name: fields.name ?? '', tcurl: fields.tcurl ?? '', flashver: fields.flashver ?? '', args };
      if (opts?.refusePublish?.(publish)) {
        refused.push(publish);
        notify();
        return 403;
      }
      publishes.push(publish);
    } else if (fields.call === 'publish_done') {
      publishDones.push({ app: fields.app ?? '', name: fields.name ?? '', tcurl: fields.tcurl ?? '', flashver: fields.flashver ?? '', args: own });
    } else if (fields.call === 'record_done' && fields.path) {
      recorded.push(fields.path);
    }
    notify();
  });
  await once(hooks, 'listening');
  const hookAddress = hooks.address();
  const hookPort = typeof hookAddress === 'object' && hookAddress ? hookAddress.port : 0;

  // `port`: listen where an earlier nginx listened (a restart on the same port), else a free one.
  const port = opts?.port ?? (await freePort());
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    nginxRtmpConf({
      dir,
      listen: `127.0.0.1:${port}`,
      recordDir,
      apps,
      chunkSize: 4096,
      hooks: { url: `http://127.0.0.1:${hookPort}`, events: ['connect', 'publish', 'publish_done', 'record_done'] },
      debugLog: opts?.debugLog,
    }),
  );
  const child = spawn('/bin/sh', ['-c', STDIN_WATCHDOG, 'nginx-watchdog', NGINX, '-p', dir, '-e', join(dir, 'error.log'), '-c', conf], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  const errorLog = (): string => output() + (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8').slice(-8000) : '');

  const waitFor = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        const value = check();
        if (value === undefined) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`nginx-rtmp: no ${what} within ${timeoutMs} ms; publishes so far ${JSON.stringify(publishes)}\n${errorLog().slice(-3000)}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        waiters.delete(waiter);
      };
      const waiter = (): void => void attempt();
      waiters.add(waiter);
      attempt();
    });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await stopWatchdogged(child, join(dir, 'nginx.pid')); // graceful: closes and finalizes recordings
    await new Promise<void>((resolve) => hooks.close(() => resolve()));
  };
  const kill = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      const pidFile = join(dir, 'nginx.pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
      if (pid > 0) process.kill(pid, 'SIGKILL'); // the watchdog shell then exits with it
      else child.kill('SIGKILL');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => hooks.close(() => resolve()));
  };
  try {
    await waitForListen(port, child, 'nginx', errorLog);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    port,
    url: (app = apps[0]) => `rtmp://127.0.0.1:${port}/${app}`,
    recordDir,
    recordings: () =>
      readdirSync(recordDir)
        .filter((f) => f.endsWith('.flv'))
        .sort()
        .map((f) => join(recordDir, f)),
    publishes,
    waitForPublish: (count = 1, timeoutMs = 15_000) => waitFor(() => publishes[count - 1], timeoutMs, `publish #${count}`),
    refused,
    publishDones,
    waitForPublishDone: (count = 1, timeoutMs = 15_000) => waitFor(() => publishDones[count - 1], timeoutMs, `publish_done #${count}`),
    waitForRecording: (timeoutMs = 20_000) =>
      waitFor(
        () => (recorded.length > recordedTaken ? recorded[recordedTaken++] : undefined),
        timeoutMs,
        'finished recording (on_record_done)',
      ),
    kill,
    errorLog: (level = 'info') => {
      const file = join(dir, level === 'debug' ? 'debug.log' : 'error.log');
      return existsSync(file) ? readFileSync(file, 'utf8') : '';
    },
    stop,
  };
}

export interface NodeMediaServerHandle {
  rtmpPort: number;
  httpPort: number;
  url(app?: string): string;
  flvUrl(app: string, name: string): string;
  /** Where it records every publish as FLV (`<recordDir>/<app>/<name>/<time>.flv`). */
  recordDir: string;
  recordings(): string[];
  stop(): Promise<void>;
}

const NMS_ROOT = dirname(createRequire(import.meta.url).resolve('node-media-server/package.json'));

/** node-media-server 4 in a child process, bound to 127.0.0.1, recording to a temp dir. */
export async function startNodeMediaServer(): Promise<NodeMediaServerHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'castbridge-nms-'));
  const recordDir = join(dir, 'record');
  const rtmpPort = await freePort();
  const httpPort = await freePort();
  const config = {
    bind: '127.0.0.1',
    rtmp: { port: rtmpPort },
    http: { port: httpPort },
    record: { path: recordDir },
    store: { path: join(dir, 'store') },
    webadmin: { enable: false },
  };
  const script = join(dir, 'nms-child.cjs');
  writeFileSync(script, NMS_CHILD_SOURCE);
  const child = spawn(process.execPath, [script, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: dir,
  });
  const output = collectOutput(child);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.stdin?.end(); // the child stops the server cleanly when its stdin closes
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    await waitForListen(rtmpPort, child, 'node-media-server', output);
    await waitForListen(httpPort, child, 'node-media-server (HTTP-FLV)', output);
  } catch (error) {
    await stop();
    throw error;
  }
  const walk = (d: string): string[] =>
    existsSync(d) ? readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.flv') ? [join(d, e.name)] : [])) : [];
  return {
    rtmpPort,
    httpPort,
    url: (app = 'live') => `rtmp://127.0.0.1:${rtmpPort}/${app}`,
    flvUrl: (app, name) => `http://127.0.0.1:${httpPort}/${app}/${name}.flv`,
    recordDir,
    recordings: () => walk(recordDir).sort(),
    stop,
  };
}

/** The child's script: quiet logger, run, stop when the parent closes stdin (or dies). */
const NMS_CHILD_SOURCE = `'use strict';
const path = require('node:path');
const root = ${JSON.stringify(NMS_ROOT)};
const NodeMediaServer = require(root);
const logger = require(path.join(root, 'src/core/logger.js'));
const nms = new NodeMediaServer(JSON.parse(process.argv[2]));
logger.level = 'error';
nms.run();
process.stdin.resume();
process.stdin.on('end', async () => { await nms.stop(); process.exit(0); });
`;

export interface FfmpegListener {
  port: number;
  url: string;
  /** ffmpeg's exit code, once the publisher has left and the file is written. */
  done: Promise<number>;
  stop(): Promise<void>;
}

/** `ffmpeg -listen 1` as an RTMP server that accepts one publisher and copies it to `outFile`. */
export async function startFfmpegListener(opts: { app: string; name: string; outFile: string }): Promise<FfmpegListener> {
  const port = await freePort();
  const url = `rtmp://127.0.0.1:${port}/${opts.app}/${opts.name}`;
  // -timeout: stop waiting for a publisher after that many seconds, so a failed test leaves no ffmpeg behind
  const args = ['-hide_banner', '-loglevel', 'warning', '-y', '-listen', '1', '-timeout', String(FFMPEG_LISTEN_TIMEOUT_S), '-i', url];
  const child = spawn(FFMPEG, [...args, '-c', 'copy', '-f', 'flv', opts.outFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  const done = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  try {
    await waitForListen(port, child, 'ffmpeg -listen', output);
  } catch (error) {
    await stopChild(child, 'SIGKILL');
    throw error;
  }
  return { port, url, done, stop: () => stopChild(child, 'SIGINT') };
}

/** Removes a helper's temp dir (tests call it in `after` if they want the space back). */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface TlsPair {
  cert: string;
  key: string;
}

/** Certificates for an RTMPS test, made with openssl in a temp dir (EC P-256: quick to make). */
export interface TestCertificates {
  dir: string;
  /** The test CA's certificate (PEM file path): what rtmps_ca_file names to trust `signed`. */
  caFile: string;
  /** Signed by the test CA, for 127.0.0.1 and localhost. */
  signed: TlsPair;
  /** Self-signed, for 127.0.0.1 and localhost. */
  selfSigned: TlsPair;
  /** Signed by the test CA for "other.example" only: a name mismatch at 127.0.0.1. */
  wrongName: TlsPair;
  /** Signed by the test CA for 127.0.0.1, expired yesterday. */
  expired: TlsPair;
}

function openssl(dir: string, args: string[]): void {
  execFileSync(OPENSSL, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A test CA and server certificates signed by it (or not), each a PEM cert and key file in a new temp dir. */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'castbridge-certs-'));
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, ['req', '-x509', ...newKey, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Castbridge Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const local = 'subjectAltName=IP:127.0.0.1,DNS:localhost';
  const signedBy = (name: string, altNames: string, days: string, serial: number): TlsPair => {
    writeFileSync(join(dir, `${name}.ext`), `${altNames}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
    openssl(dir, ['req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=Castbridge test server']);
    // -days -1: notAfter yesterday (OpenSSL 3.0 takes a negative count), an expired certificate
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(serial), '-days', days, '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
    return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  };
  const signed = signedBy('signed', local, '2', 1);
  const wrongName = signedBy('wrong-name', 'subjectAltName=DNS:other.example', '2', 2);
  const expired = signedBy('expired', local, '-1', 3);
  openssl(dir, ['req', '-x509', ...newKey, '-keyout', 'self.key', '-out', 'self.pem', '-days', '2', '-subj', '/CN=Castbridge self-signed', '-addext', local]);
  return { dir, caFile: join(dir, 'ca.pem'), signed, selfSigned: { cert: join(dir, 'self.pem'), key: join(dir, 'self.key') }, wrongName, expired };
}

export interface TlsFront {
  /** The TLS port of each named front. */
  ports: Record<string, number>;
  /** rtmps://127.0.0.1:<port of front>/<app> */
  url(front: string, app?: string): string;
  errorLog(): string;
  stop(): Promise<void>;
}

/**
 * nginx's `stream` module with `ssl` in front of a plain RTMP port (how ingests are commonly built: TLS
 * terminated by nginx, RTMP behind it): one TLS port per named certificate, each proxied to `targetPort`.
 */
export async function startTlsFront(opts: { targetPort: number; fronts: Record<string, TlsPair> }): Promise<TlsFront> {
  const dir = mkdtempSync(join(tmpdir(), 'castbridge-tls-front-'));
  mkdirSync(join(dir, 'logs'));
  const ports: Record<string, number> = {};
  const servers: string[] = [];
  for (const [name, pair] of Object.entries(opts.fronts)) {
    ports[name] = await freePort();
    servers.push(`
  server {
    listen 127.0.0.1:${ports[name]} ssl;
    ssl_certificate ${pair.cert};
    ssl_certificate_key ${pair.key};
    proxy_pass 127.0.0.1:${opts.targetPort};
  }`);
  }
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `load_module ${NGINX_STREAM_MODULE};
daemon off;
master_process off;
error_log ${join(dir, 'error.log')} info;
pid ${join(dir, 'nginx.pid')};
events { worker_connections 64; }
stream {${servers.join('')}
}
`,
  );
  const child = spawn('/bin/sh', ['-c', STDIN_WATCHDOG, 'nginx-watchdog', NGINX, '-p', dir, '-e', join(dir, 'error.log'), '-c', conf], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  const errorLog = (): string => output() + (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8').slice(-8000) : '');
  const stop = (): Promise<void> => stopWatchdogged(child, join(dir, 'nginx.pid'));
  try {
    for (const port of Object.values(ports)) await waitForListen(port, child, 'nginx (stream ssl)', errorLog);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    ports,
    url: (front, app = 'live') => `rtmps://127.0.0.1:${ports[front]}/${app}`,
    errorLog,
    stop,
  };
}
