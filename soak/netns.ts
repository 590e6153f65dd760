// Network faults on links of our own: a network namespace joined to the root namespace by a veth pair
// created here, with a /30 of 10.213.<n>.0 on it; qdiscs (tbf) and link state change on that pair only.
// The machine's real interfaces are never touched; everything is removed again by remove() (and stale
// links of an earlier, interrupted soak by their names).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { run, sleep, tmp } from './lib.js';
import { nginxRtmpConf } from '../test/helpers/servers.js';

const SUBNET = '10.213';

export class NetLink {
  readonly ns: string;
  /** Our end, in the root namespace, and the namespace's end. */
  readonly hostIf: string;
  readonly nsIf: string;
  readonly hostIp: string;
  readonly nsIp: string;

  constructor(readonly index: number) {
    if (!Number.isInteger(index) || index < 1 || index > 250) throw new RangeError(`link index must be 1–250, got ${index}`);
    this.ns = `cbsoak${index}`;
    this.hostIf = `cbsoak${index}h`;
    this.nsIf = `cbsoak${index}n`;
    this.hostIp = `${SUBNET}.${index}.1`;
    this.nsIp = `${SUBNET}.${index}.2`;
  }

  async create(): Promise<void> {
    await this.remove();
    const ip = (...args: string[]): Promise<unknown> => run('ip', args);
    await ip('netns', 'add', this.ns);
    await ip('link', 'add', this.hostIf, 'type', 'veth', 'peer', 'name', this.nsIf);
    await ip('link', 'set', this.nsIf, 'netns', this.ns);
    await ip('addr', 'add', `${this.hostIp}/30`, 'dev', this.hostIf);
    await ip('link', 'set', this.hostIf, 'up');
    await ip('netns', 'exec', this.ns, 'ip', 'addr', 'add', `${this.nsIp}/30`, 'dev', this.nsIf);
    await ip('netns', 'exec', this.ns, 'ip', 'link', 'set', this.nsIf, 'up');
    await ip('netns', 'exec', this.ns, 'ip', 'link', 'set', 'lo', 'up');
  }

  /** Deletes the namespace (its veth end, and so the pair, goes with it) and our end if still there. */
  async remove(): Promise<void> {
    await run('ip', ['netns', 'del', this.ns]).catch(() => undefined);
    await run('ip', ['link', 'del', this.hostIf]).catch(() => undefined);
  }

  /** The same root qdisc on both ends (each shapes what leaves it), e.g. ['tbf', 'rate', …]; [] removes it. */
  async shape(qdisc: string[]): Promise<void> {
    for (const [prefix, dev] of [[[], this.hostIf], [['netns', 'exec', this.ns, 'tc'], this.nsIf]] as const) {
      const tc = (...a: string[]): Promise<unknown> => (prefix.length ? run('ip', [...prefix, ...a]) : run('tc', a));
      if (qdisc.length === 0) await tc('qdisc', 'del', 'dev', dev, 'root').catch(() => undefined);
      else await tc('qdisc', 'replace', 'dev', dev, 'root', ...qdisc);
    }
  }

  /**
   * Takes the namespace's end of the pair down (or up again): our end loses its carrier and drops what it
   * is given without a word, as a path that went dark does; nothing is refused or reset.
   */
  async setDown(down: boolean): Promise<void> {
    await run('ip', ['netns', 'exec', this.ns, 'ip', 'link', 'set', this.nsIf, down ? 'down' : 'up']);
  }

  /** Runs a command inside the namespace. */
  spawn(command: string, args: string[], opts: { stdio?: 'ignore' | 'pipe' } = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.ns, command, ...args], { stdio: ['pipe', opts.stdio ?? 'pipe', opts.stdio ?? 'pipe'] });
  }

}

/** nginx-rtmp inside the namespace, on nsIp:1935, recording every publish (no hooks). */
export class NsNginx {
  readonly dir = tmp('nginx-ns');
  readonly recordDir = join(this.dir, 'rec');
  private child: ChildProcess | undefined;

  constructor(readonly link: NetLink) {
    mkdirSync(this.recordDir);
  }

  url(): string {
    return `rtmp://${this.link.nsIp}:1935/live`;
  }

  recordings(): string[] {
    return readdirSync(this.recordDir).filter((f) => f.endsWith('.flv')).sort().map((f) => join(this.recordDir, f));
  }

  async start(): Promise<void> {
    const conf = join(this.dir, 'nginx.conf');
    writeFileSync(conf, nginxRtmpConf({ dir: this.dir, listen: `${this.link.nsIp}:1935`, recordDir: this.recordDir, chunkSize: 4096 }));
    this.child = this.link.spawn('/usr/sbin/nginx', ['-p', this.dir, '-e', join(this.dir, 'error.log'), '-c', conf], { stdio: 'ignore' });
    const deadline = Date.now() + 15_000;
    for (;;) {
      const listening = await new Promise<boolean>((resolve) => {
        const s = connect(1935, this.link.nsIp);
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      });
      if (listening) return;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        const log = existsSync(join(this.dir, 'error.log')) ? readFileSync(join(this.dir, 'error.log'), 'utf8').slice(-2000) : '';
        throw new Error(`nginx in ${this.link.ns} did not listen: ${log}`);
      }
      await sleep(100);
    }
  }

  /** SIGQUIT: graceful, recordings finalized. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGQUIT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
