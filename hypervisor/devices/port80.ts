import type { Device, DeviceResources } from '../../shared/io-bus.js';

/**
 * Port 0x80, the POST-code / I/O-delay port. QEMU's pc machine (hw/i386/pc.c, ioport80) drops
 * writes and reads all ones, and so does this device; it also keeps the codes written, for
 * tests and reports. (Xen lets HVM guests reach the real port 0x80 without an exit, because
 * guests use it for I/O delays; a cost model may want to count it that way.)
 */

const HISTORY = 256;

export class Port80 implements Device {
  readonly name = 'port80';
  // A byte port: of a wider write only the byte at 0x80 is a POST code (the bus drops the rest).
  readonly resources: DeviceResources = {
    ports: [{ base: 0x80, length: 1, impl: { min: 1, max: 1 }, read: () => 0xff, write: (_o, _s, v) => this.write(v) }],
  };

  /** The last POST code written (low byte), or undefined if none yet. */
  lastCode: number | undefined;
  writes = 0;
  private readonly ring = new Uint8Array(HISTORY);

  private write(code: number): void {
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
