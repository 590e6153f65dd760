// werift's NackHandler.setLost: the 5 ms retransmission timer stops when nothing is missing.
// Upstream write-up: docs/werift-upstream.md, "the receive path's per-packet cost" §4.

/** The part of werift's NackHandler this file replaces. */
export interface NackShape {
  _lost: Record<number, number>;
  nackLoop: NodeJS.Timeout | undefined;
  closed: boolean;
  sendNack(): Promise<void>;
}

// werift awaits sendNack() before it checks whether anything is still lost, and sendNack's promise settles
// only when it sent a NACK: once the last lost packet arrived, the 5 ms timer ran for good. Here the timer
// stops as soon as nothing is missing.
export function setLost(this: NackShape, seq: number, count: number): void {
  this._lost[seq] = count;
  if (this.nackLoop || this.closed) return;
  this.nackLoop = setInterval(() => {
    if (Object.keys(this._lost).length === 0) {
      clearInterval(this.nackLoop);
      this.nackLoop = undefined;
      return;
    }
    this.sendNack().catch(() => undefined);
  }, 5);
}
