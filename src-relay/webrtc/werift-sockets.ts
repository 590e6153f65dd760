// The UDP sockets werift's ICE agent receives media on, given a larger kernel receive buffer.
//
// Media waits in the socket's receive buffer whenever the event loop is busy. Linux's default
// (net.core.rmem_default, 208 KiB, charged at ~2 KiB per 1200-byte datagram) holds ~0.3 s of a 720p
// stream; a process starved for longer (a loaded machine, a long GC) loses packets there (UDP
// RcvbufErrors), and a publisher that ignores PLI, as aiortc does, then sends no picture until its next
// periodic keyframe. The kernel caps the request at net.core.rmem_max.
//
// werift 0.24 keeps each UDP socket at Connection.protocols[i].transport.socket (StunProtocol →
// UdpTransport → dgram.Socket), which its types mark private: reached here by shape, checked at run time.
import type { Socket } from 'node:dgram';
import type { RTCPeerConnection } from 'werift';

export const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

interface SocketReport {
  /** Sockets found and enlarged. */
  sockets: number;
  /** The smallest size the kernel granted (bytes; Linux reports double the usable size). */
  grantedBytes: number;
  /** Why nothing was found, when werift's shape no longer matches. */
  problem?: string;
}

function isDgramSocket(value: unknown): value is Socket {
  return typeof value === 'object' && value !== null && typeof (value as Socket).setRecvBufferSize === 'function' && typeof (value as Socket).getRecvBufferSize === 'function';
}

/** Enlarges the receive buffer of every UDP socket of `pc`'s ICE agents (after gathering). */
export function enlargeReceiveBuffers(pc: RTCPeerConnection, bytes = RECEIVE_BUFFER_BYTES): SocketReport {
  const sockets = new Set<Socket>();
  for (const transceiver of pc.getTransceivers()) {
    const connection = transceiver.dtlsTransport?.iceTransport?.connection as unknown as { protocols?: unknown } | undefined;
    if (!Array.isArray(connection?.protocols)) return { sockets: 0, grantedBytes: 0, problem: 'werift ICE Connection has no protocols array' };
    for (const protocol of connection.protocols as { transport?: { socket?: unknown } }[]) {
      const socket = protocol?.transport?.socket;
      if (isDgramSocket(socket)) sockets.add(socket);
    }
  }
  if (sockets.size === 0) return { sockets: 0, grantedBytes: 0, problem: 'no dgram socket at protocols[i].transport.socket' };
  let granted = Infinity;
  for (const socket of sockets) {
    try {
      socket.setRecvBufferSize(bytes);
      granted = Math.min(granted, socket.getRecvBufferSize());
    } catch (error) {
      // A socket closed meanwhile (the publisher already left): nothing to enlarge.
      return { sockets: 0, grantedBytes: 0, problem: error instanceof Error ? error.message : String(error) };
    }
  }
  return { sockets: sockets.size, grantedBytes: granted };
}
