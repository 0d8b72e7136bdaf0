/**
 * A single-producer single-consumer byte ring in a SharedArrayBuffer, for host console input
 * (toolstack → device model). Free-running head/tail counters; a full ring drops input, as a
 * UART with a full FIFO would.
 *
 * Layout: Int32 words 0 head (written by the producer), 1 tail (written by the consumer),
 * then `capacity` bytes.
 */
const W_HEAD = 0;
const W_TAIL = 1;
const HEADER = 8;

export function createByteRing(capacity = 4096): SharedArrayBuffer {
  if ((capacity & (capacity - 1)) !== 0) throw new RangeError('byte ring capacity must be a power of two');
  return new SharedArrayBuffer(HEADER + capacity);
}

export class ByteRing {
  private readonly i32: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly mask: number;

  constructor(buffer: SharedArrayBuffer) {
    this.i32 = new Int32Array(buffer, 0, 2);
    this.bytes = new Uint8Array(buffer, HEADER);
    this.mask = this.bytes.length - 1;
  }

  /** Append as much of `data` as fits; returns how many bytes were taken. */
  write(data: Uint8Array): number {
    const head = Atomics.load(this.i32, W_HEAD);
    const tail = Atomics.load(this.i32, W_TAIL);
    const free = this.bytes.length - ((head - tail) >>> 0);
    const n = Math.min(free, data.length);
    for (let k = 0; k < n; k++) this.bytes[(head + k) & this.mask] = data[k]!;
    Atomics.store(this.i32, W_HEAD, (head + n) | 0);
    return n;
  }

  available(): number {
    return (Atomics.load(this.i32, W_HEAD) - Atomics.load(this.i32, W_TAIL)) >>> 0;
  }

  /** Take up to `max` bytes. */
  read(max: number): Uint8Array {
    const head = Atomics.load(this.i32, W_HEAD);
    const tail = Atomics.load(this.i32, W_TAIL);
    const n = Math.min(max, (head - tail) >>> 0, this.bytes.length);
    const out = new Uint8Array(n);
    for (let k = 0; k < n; k++) out[k] = this.bytes[(tail + k) & this.mask]!;
    Atomics.store(this.i32, W_TAIL, (tail + n) | 0);
    return out;
  }
}
