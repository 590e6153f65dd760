// RFC 6347 §4.2.4 — DTLS handshake retransmission: a flight is sent again each time its timer expires until
// the peer's next flight arrives. werift's loop, with an end when the connection under it is closed.
//
// werift (0.24.4) retransmits a flight (`Flight.transmit`, dtls/src/flight/flight.ts) up to 11 times over
// ~33 s, waiting 0.5 s, 1 s, … 5.5 s between sends, and checks only whether the peer's next flight arrived.
// Closing the RTCPeerConnection closes its ICE connection but not the DTLS socket, so a session closed
// mid-handshake keeps its flight looping: the pending timer holds the flight, its transport and, through the
// awaiting `RTCDtlsTransport.start()`, the whole peer connection (~200 KB) for up to 33 s.
//
// Replaced here, on werift's own Flight class, at import: the same loop (the same sends, waits, limit and
// error), which also stops — at once, without an error — when the flight's transport is closed: its ICE
// connection reports 'closed' (what RTCPeerConnection.close() does), or the DTLS socket was closed. The
// version guard and the shape checks below throw WeriftDtlsPatchError, so an upgrade cannot silently run a
// patch that no longer fits.
import { DtlsClient } from 'werift';
import { weriftVersionMismatch } from './werift-version.js';

/** werift's ICE connection state once closed (ice/src/ice.ts). */
const ICE_CLOSED = 'closed';

interface SubscriptionShape {
  unSubscribe(): void;
}

/** The part of werift's ICE Connection a flight reaches through its transport (IceTransport.ice). */
interface IceShape {
  state?: string;
  stateChanged?: { subscribe(execute: (state: string) => void, complete?: () => void): SubscriptionShape };
}

/** werift's Flight (dtls/src/flight/flight.ts): the fields and methods its transmit loop uses. */
interface FlightShape {
  transport: { socket?: { closed?: boolean; ice?: IceShape } };
  dtls: { flight: number };
  flight: number;
  nextFlight: number | undefined;
  send(buffers: Buffer[]): Promise<unknown>;
  setState(state: 'PREPARING' | 'SENDING' | 'WAITING' | 'FINISHED'): void;
}

export class WeriftDtlsPatchError extends Error {
  constructor(message: string) {
    super(`werift DTLS patch: ${message}`);
    this.name = 'WeriftDtlsPatchError';
  }
}

/** Retransmission waits now pending, each cancelled when its transport closes (for tests and diagnostics). */
const pendingWaits = new Set<() => void>();

/** How many flights are waiting to retransmit right now. */
export function pendingFlightRetransmissions(): number {
  return pendingWaits.size;
}

function transportClosed(flight: FlightShape): boolean {
  const socket = flight.transport.socket;
  return socket?.closed === true || socket?.ice?.state === ICE_CLOSED;
}

/** Waits `ms`; true when the time passed, false as soon as the flight's transport closed instead. */
function waitUnlessClosed(flight: FlightShape, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    let subscription: SubscriptionShape | undefined;
    const finish = (elapsed: boolean): void => {
      if (!pendingWaits.delete(cancel)) return;
      clearTimeout(timer);
      subscription?.unSubscribe();
      resolve(elapsed);
    };
    const cancel = (): void => finish(false);
    pendingWaits.add(cancel);
    const timer = setTimeout(() => finish(true), ms);
    subscription = flight.transport.socket?.ice?.stateChanged?.subscribe(
      (state) => state === ICE_CLOSED && finish(false),
      () => finish(false),
    );
  });
}

/** werift's Flight.transmit, which ends quietly once the transport is closed. */
async function transmit(this: FlightShape, buffers: Buffer[]): Promise<void> {
  const limit = (this.constructor as unknown as { RetransmitCount: number }).RetransmitCount;
  let retransmitCount = 0;
  for (; retransmitCount <= limit; retransmitCount++) {
    if (transportClosed(this)) return;
    this.setState('SENDING');
    this.send(buffers).catch(() => undefined);
    this.setState('WAITING');
    if (this.nextFlight === undefined) {
      this.setState('FINISHED');
      break;
    }
    if (!(await waitUnlessClosed(this, 1000 * ((retransmitCount + 1) / 2)))) return;
    if (this.dtls.flight >= this.nextFlight) {
      this.setState('FINISHED');
      break;
    }
  }
  if (retransmitCount > limit) throw new Error(`over retransmitCount : ${this.flight} ${this.nextFlight}`);
}

/**
 * werift's Flight class is not exported. DtlsClient.connect() builds a Flight1 first thing, whose constructor
 * assigns `this.nextFlight`; a setter on Object.prototype, there only for that synchronous call, catches the
 * instance. The stand-in DTLS context says flight 1 is already under way, so Flight1.exec throws before it
 * sends anything.
 */
function flightPrototype(): Record<string, unknown> {
  let instance: object | undefined;
  const proto = Object.prototype as Record<string, unknown>;
  Object.defineProperty(proto, 'nextFlight', {
    configurable: true,
    set(this: object, value: unknown) {
      instance ??= this;
      Object.defineProperty(this, 'nextFlight', { value, writable: true, enumerable: true, configurable: true });
    },
  });
  try {
    const standIn = { transport: {}, dtls: { flight: 1 }, cipher: {}, extensions: [] };
    const connect = (DtlsClient.prototype as unknown as { connect?: () => Promise<void> }).connect;
    if (typeof connect !== 'function') throw new WeriftDtlsPatchError("DtlsClient has no connect(); werift's shape changed");
    connect.call(standIn).catch(() => undefined);
  } finally {
    delete proto.nextFlight;
  }
  if (!instance) throw new WeriftDtlsPatchError('DtlsClient.connect() built no flight; werift changed');
  const flight1 = instance as Partial<FlightShape>;
  if (flight1.flight !== 1 || flight1.nextFlight !== 3) throw new WeriftDtlsPatchError('the first client flight is not flight 1 → 3; werift changed');
  const flightProto = Object.getPrototypeOf(Object.getPrototypeOf(instance) as object) as Record<string, unknown> | null;
  if (!flightProto || !Object.hasOwn(flightProto, 'transmit')) throw new WeriftDtlsPatchError('Flight1 does not extend a class with transmit(); werift changed');
  return flightProto;
}

let applied = false;

/** werift's own Flight.transmit and the prototype it lives on (for tests). */
export let weriftOriginalTransmit: { proto: Record<string, unknown>; transmit: unknown } | undefined;

/** Replaces werift's Flight.transmit (once); throws WeriftDtlsPatchError when werift is not the version or shape patched. */
export function applyWeriftDtlsPatch(): void {
  if (applied) return;
  const mismatch = weriftVersionMismatch('src-relay/webrtc/werift-dtls-patch.ts');
  if (mismatch !== undefined) throw new WeriftDtlsPatchError(mismatch);
  const proto = flightPrototype();
  const original = proto.transmit;
  const source = String(original);
  if (typeof original !== 'function' || !source.includes('RetransmitCount') || !source.includes('nextFlight')) {
    throw new WeriftDtlsPatchError("Flight.transmit is not werift's retransmission loop; werift changed");
  }
  if (typeof proto.setState !== 'function') throw new WeriftDtlsPatchError("Flight has no setState(); werift's shape changed");
  if (typeof (proto.constructor as { RetransmitCount?: unknown }).RetransmitCount !== 'number') {
    throw new WeriftDtlsPatchError('Flight has no static RetransmitCount; werift changed');
  }
  weriftOriginalTransmit = { proto, transmit: original };
  proto.transmit = transmit;
  applied = true;
}

// CASTBRIDGE_WERIFT_PATCH=off runs werift as published (as werift-srtp-patch.ts does).
if (process.env.CASTBRIDGE_WERIFT_PATCH !== 'off') applyWeriftDtlsPatch();
