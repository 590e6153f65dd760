// A UDP relay that impairs what passes through it, both ways, seeded: loss, delay with jitter (which
// reorders, as netem's does), reordering, a blackout, and a bandwidth bottleneck (token bucket with a
// bounded queue, tail drop). It stands in for `tc netem` where the kernel has no netem (this machine's has
// none): the WebRTC publisher is given this relay as the host's only ICE candidate, and the host learns
// the relay as a peer-reflexive address from its checks, so every packet of the session crosses it.
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { mulberry32 } from '../test/helpers/prng.js';

export interface Impairment {
  /** Probability (0–1) that a packet is dropped. */
  loss?: number;
  /** Every packet is held this long (ms), plus a uniform jitter of ± jitterMs. */
  delayMs?: number;
  jitterMs?: number;
  /** This share (0–1) of packets goes at once; the others wait delayMs (netem's `reorder`). */
  reorder?: number;
  /** Bottleneck rate (kbit/s) with a queue of queueMs worth of bytes; beyond it, packets are dropped. */
  rateKbps?: number;
  queueMs?: number;
  /** Drop everything. */
  blackout?: boolean;
}

interface Direction {
  /** When the bottleneck's queue is next free (ms, performance.now()). */
  busyUntil: number;
  passed: number;
  dropped: number;
}

export class UdpImpairer {
  private socket!: Socket;
  /** One upstream socket per client address (the relay is a symmetric NAT towards the host). */
  private readonly upstream = new Map<string, Socket>();
  private impairment: Impairment = {};
  private readonly random: () => number;
  private readonly dirs: Record<'up' | 'down', Direction> = { up: { busyUntil: 0, passed: 0, dropped: 0 }, down: { busyUntil: 0, passed: 0, dropped: 0 } };
  port = 0;

  constructor(
    readonly listenIp: string,
    readonly target: { ip: string; port: number },
    seed = 0x1ee7,
  ) {
    this.random = mulberry32(seed);
  }

  async start(): Promise<void> {
    this.socket = createSocket('udp4');
    this.socket.on('message', (msg, from) => this.fromClient(msg, from.address, from.port));
    this.socket.bind(0, this.listenIp);
    await once(this.socket, 'listening');
    this.port = this.socket.address().port;
  }

  set(impairment: Impairment): void {
    this.impairment = impairment;
  }

  stats(): { up: Direction; down: Direction } {
    return { up: { ...this.dirs.up }, down: { ...this.dirs.down } };
  }

  close(): void {
    this.socket.close();
    for (const s of this.upstream.values()) s.close();
  }

  private fromClient(msg: Buffer, ip: string, port: number): void {
    const key = `${ip}:${port}`;
    let up = this.upstream.get(key);
    if (!up) {
      const socket = createSocket('udp4');
      socket.on('message', (reply) => this.pass('down', reply, () => this.socket.send(reply, port, ip)));
      socket.on('error', () => undefined);
      socket.bind(0, this.listenIp);
      this.upstream.set(key, socket);
      up = socket;
    }
    const upstream = up;
    this.pass('up', msg, () => upstream.send(msg, this.target.port, this.target.ip));
  }

  private pass(dir: 'up' | 'down', msg: Buffer, send: () => void): void {
    const i = this.impairment;
    const d = this.dirs[dir];
    if (i.blackout || (i.loss && this.random() < i.loss)) {
      d.dropped++;
      return;
    }
    let delay = 0;
    if (i.rateKbps) {
      const now = performance.now();
      const start = Math.max(now, d.busyUntil);
      if (start - now > (i.queueMs ?? 200)) {
        d.dropped++;
        return;
      }
      d.busyUntil = start + (msg.length * 8) / i.rateKbps;
      delay += d.busyUntil - now;
    }
    if (i.delayMs && !(i.reorder && this.random() < i.reorder)) {
      delay += i.delayMs + (i.jitterMs ? (this.random() * 2 - 1) * i.jitterMs : 0);
    }
    d.passed++;
    if (delay <= 0) send();
    else setTimeout(send, delay);
  }
}

/** The host's first IPv4 UDP host candidate in an SDP answer. */
export function firstUdpCandidate(sdp: string): { ip: string; port: number } {
  const m = /^a=candidate:\S+ \d+ udp \d+ (\d+\.\d+\.\d+\.\d+) (\d+) typ host/im.exec(sdp);
  if (!m) throw new Error('the answer has no IPv4 UDP host candidate');
  return { ip: m[1]!, port: Number(m[2]) };
}

/** The answer with its candidates replaced by one: the relay's. */
export function answerViaRelay(sdp: string, relay: { ip: string; port: number }): string {
  const lines = sdp.split(/\r?\n/).filter((l) => l && !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates');
  const candidate = [`a=candidate:1 1 udp 2130706431 ${relay.ip} ${relay.port} typ host`, 'a=end-of-candidates'];
  const out: string[] = [];
  let inMedia = false;
  for (const line of lines) {
    if (line.startsWith('m=') && inMedia) out.push(...candidate); // at the end of the previous section
    if (line.startsWith('m=')) inMedia = true;
    out.push(line);
  }
  if (inMedia) out.push(...candidate);
  return out.join('\r\n') + '\r\n';
}
