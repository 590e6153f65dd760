// An MSB-first bit reader for the AV1 and VP9 headers (AV1 §4.10.2 f(n), VP9 §9.1 f(n)), whose errors
// name the structure being read.

export class Bits {
  private bit = 0;

  constructor(
    private readonly data: Buffer,
    /** What is being read, for error messages: "AV1 sequence header". */
    private readonly what: string,
  ) {}

  get position(): number {
    return this.bit;
  }

  get bitsLeft(): number {
    return this.data.length * 8 - this.bit;
  }

  /** f(n): an n-bit unsigned number, n ≤ 32. */
  f(bits: number): number {
    if (bits > this.bitsLeft) throw new Error(`${this.what} truncated: need ${bits} bits at bit ${this.bit}, ${this.bitsLeft} left`);
    let value = 0;
    for (let i = 0; i < bits; i++) {
      value = value * 2 + ((this.data[this.bit >> 3] >> (7 - (this.bit & 7))) & 1);
      this.bit++;
    }
    return value;
  }

  flag(): boolean {
    return this.f(1) === 1;
  }

  /** uvlc() (AV1 §4.10.3): leading zeros, then that many bits. */
  uvlc(): number {
    let zeros = 0;
    while (!this.flag()) {
      zeros++;
      if (zeros >= 32) return 2 ** 32 - 1;
    }
    return 2 ** zeros - 1 + this.f(zeros);
  }
}
