/**
 * REP STOS/MOVS requests (count > 1) reach a device that offers whole-request forms in one
 * call, and fall back to item-by-item accesses for a device that does not; both give the same
 * memory contents.
 */
import { describe, expect, test } from 'vitest';
import { IoBus, type AccessSize, type IoRegion } from '../shared/io-bus.js';
import { IoreqRecord, IOREQ_READ, IOREQ_TYPE_COPY, IOREQ_WRITE } from '../shared/ioreq.js';
import { DM_COUNTERS } from '../shared/run-stats.js';
import { createP2mBuffer, P2mType } from '../shared/p2m.js';
import { IoreqDispatcher } from '../device-model/ioreq-dispatch.js';
import { GuestRam } from '../device-model/guest-ram.js';
import { PciHost } from '../device-model/devices/pci-host.js';

const BASE = 0xe0000000;

/** 16 KiB of byte storage at BASE; offsets are the region's. */
class Buffer4K implements IoRegion {
  readonly base = BASE;
  readonly length = 0x4000;
  readonly mem = new Uint8Array(0x4000);
  itemCalls = 0;
  wholeCalls = 0;
  read(offset: number, size: AccessSize): number {
    this.itemCalls++;
    let v = 0;
    for (let k = 0; k < size; k++) v |= this.mem[offset + k]! << (8 * k);
    return v >>> 0;
  }
  write(offset: number, size: AccessSize, value: number): void {
    this.itemCalls++;
    for (let k = 0; k < size; k++) this.mem[offset + k] = value >>> (8 * k);
  }
}

class WholeBuffer extends Buffer4K {
  fill(at: number, size: number, count: number, df: boolean, value: number): void {
    this.wholeCalls++;
    const first = df ? at - (count - 1) * size : at;
    for (let i = 0; i < count; i++) for (let k = 0; k < size; k++) this.mem[first + i * size + k] = value >>> (8 * k);
  }
  copyIn(off: number, size: number, count: number, df: boolean, source: Uint8Array, at: number): void {
    this.wholeCalls++;
    const span = (count - 1) * size;
    this.mem.set(source.subarray(df ? at - span : at, (df ? at - span : at) + span + size), df ? off - span : off);
  }
  copyOut(at0: number, size: number, count: number, df: boolean, target: Uint8Array, at: number): void {
    this.wholeCalls++;
    const span = (count - 1) * size;
    const off = df ? at0 - span : at0;
    target.set(this.mem.subarray(off, off + span + size), df ? at - span : at);
  }
}

function setup(device: Buffer4K) {
  const bus = new IoBus();
  bus.attach({ name: 'buffer', resources: { mmio: [device] } });
  const ramBuf = new SharedArrayBuffer(1 << 20);
  const p2m = createP2mBuffer();
  new Uint8Array(p2m).fill(P2mType.RAM_RW, 0, 256);
  const ram = new GuestRam(ramBuf, p2m);
  const d = new IoreqDispatcher(bus, new PciHost(bus), ram, new Float64Array(DM_COUNTERS.length));
  return { d, ram: new Uint8Array(ramBuf) };
}

function request(dir: number, addr: number, size: number, count: number, ptr: number | undefined, value = 0, df = false): IoreqRecord {
  const r = new IoreqRecord();
  r.type = IOREQ_TYPE_COPY;
  r.dir = dir;
  r.addrLow = addr;
  r.size = size;
  r.count = count;
  r.df = df;
  r.dataIsPtr = ptr !== undefined;
  r.dataLow = ptr ?? value;
  return r;
}

describe('REP requests to MMIO', () => {
  for (const whole of [true, false]) {
    test(whole ? 'a device with whole-request forms gets one call each' : 'a device without them gets items', () => {
      const dev = whole ? new WholeBuffer() : new Buffer4K();
      const { d, ram } = setup(dev);
      d.dispatch(request(IOREQ_WRITE, BASE, 4, 1024, undefined, 0x11223344)); // rep stosl, a page
      for (let i = 0; i < 4096; i++) ram[0x10000 + i] = i & 0xff;
      d.dispatch(request(IOREQ_WRITE, BASE + 0x1000, 4, 1024, 0x10000)); // rep movsl RAM → MMIO
      d.dispatch(request(IOREQ_READ, BASE + 0x1000 + 4092, 4, 1024, 0x20000 + 4092, 0, true)); // rep movsl MMIO → RAM, df
      expect(dev.wholeCalls).toBe(whole ? 3 : 0);
      expect(dev.itemCalls).toBe(whole ? 0 : 3 * 1024);
      expect(new DataView(dev.mem.buffer).getUint32(4092, true)).toBe(0x11223344);
      expect([...dev.mem.subarray(0x1000, 0x2000)]).toEqual([...ram.subarray(0x10000, 0x11000)]);
      expect([...ram.subarray(0x20000, 0x21000)]).toEqual([...ram.subarray(0x10000, 0x11000)]);
    });
  }
});
