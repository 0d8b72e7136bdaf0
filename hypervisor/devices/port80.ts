import type { AccessSize, PortDevice } from '../../shared/io-bus.js';

/**
 * Port 0x80, the POST-code / I/O-delay port. QEMU's pc machine (hw/i386/pc.c, ioport80) drops
 * writes and reads all ones, and so does this device; it also keeps the codes written, for
 * tests and reports. (Xen lets HVM guests reach the real port 0x80 without an exit, because
 * guests use it for I/O delays; a cost model may want to count it that way.)
 */

const HISTORY = 256;

export class Port80 implements PortDevice {
  readonly name = 'port80';
  readonly ports = [{ base: 0x80, length: 1 }] as const;

  /** The last POST code written (low byte), or undefined if none yet. */
  lastCode: number | undefined;
  writes = 0;
  private readonly ring = new Uint8Array(HISTORY);

  ioRead(_port: number, size: AccessSize): number {
    return size >= 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  }

  ioWrite(_port: number, _size: AccessSize, value: number): void {
    // A wider write also covers 0x81..; only the byte at 0x80 is a POST code.
    const code = value & 0xff;
    this.ring[this.writes % HISTORY] = code;
    this.writes++;
    this.lastCode = code;
  }

  /** The most recent codes written, oldest first (at most 256). */
  history(): number[] {
    const n = Math.min(this.writes, HISTORY);
    const out: number[] = [];
    for (let i = this.writes - n; i < this.writes; i++) out.push(this.ring[i % HISTORY]!);
    return out;
  }
}
