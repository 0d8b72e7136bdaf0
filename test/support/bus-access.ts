/**
 * Device accesses for unit tests, through a real IoBus: a test reads and writes at absolute
 * ports and addresses, and the bus applies the region's declared sizes (valid, implemented,
 * splitting) exactly as the device model's dispatcher does.
 */
import { IoBus, type AccessSize, type Device, type IoRegion } from '../../shared/io-bus.js';

/** A device, or a part of one that exposes its regions (VGA registers, VBE, the window, the LFB). */
export type Attachable = Device | { readonly regions: readonly IoRegion[] } | { readonly region: IoRegion } | IoRegion;

export interface PortAccess {
  ioRead(port: number, size: AccessSize): number;
  ioWrite(port: number, size: AccessSize, value: number): void;
}

export interface MmioAccess {
  mmioRead(addr: number, size: AccessSize): number;
  mmioWrite(addr: number, size: AccessSize, value: number, high?: number): void;
  /** The region's whole-request forms, at absolute addresses. */
  mmioFill(addr: number, size: number, count: number, df: boolean, value: number, high?: number): void;
  mmioCopyIn(addr: number, size: number, count: number, df: boolean, source: Uint8Array, sourceAt: number): void;
  mmioCopyOut(addr: number, size: number, count: number, df: boolean, target: Uint8Array, targetAt: number): void;
}

const buses = new WeakMap<object, IoBus>();

function busOf(x: Attachable, space: 'ports' | 'mmio'): IoBus {
  let bus = buses.get(x);
  if (bus) return bus;
  bus = new IoBus();
  if ('resources' in x) bus.attach(x);
  else {
    const regions = 'regions' in x ? x.regions : 'region' in x ? [x.region] : [x];
    bus.attach({ name: 'test part', resources: { [space]: regions } });
  }
  buses.set(x, bus);
  return bus;
}

export function portsOf(x: Attachable): PortAccess {
  const bus = busOf(x, 'ports');
  return {
    ioRead: (port, size) => {
      const v = bus.readPort(port, size);
      if (v === undefined) throw new Error(`no region at port 0x${port.toString(16)}`);
      return v;
    },
    ioWrite: (port, size, value) => {
      if (!bus.writePort(port, size, value)) throw new Error(`no region at port 0x${port.toString(16)}`);
    },
  };
}

export function mmioOf(x: Attachable): MmioAccess {
  const bus = busOf(x, 'mmio');
  const region = (addr: number, bytes: number) => {
    const r = bus.mmioRange(addr, bytes);
    if (r === undefined) throw new Error(`no region holds 0x${addr.toString(16)}+${bytes}`);
    return r;
  };
  const first = (addr: number, size: number, count: number, df: boolean) => (df ? addr - (count - 1) * size : addr);
  return {
    mmioRead: (addr, size) => {
      const v = bus.readMmio(addr, size);
      if (v === undefined) throw new Error(`no region at 0x${addr.toString(16)}`);
      return size === 8 ? v + bus.readHigh * 2 ** 32 : v;
    },
    mmioWrite: (addr, size, value, high) => {
      const h = high ?? (size === 8 ? Math.floor(value / 2 ** 32) >>> 0 : 0);
      if (!bus.writeMmio(addr, size, value >>> 0, h)) throw new Error(`no region at 0x${addr.toString(16)}`);
    },
    mmioFill: (addr, size, count, df, value, high) => {
      const r = region(first(addr, size, count, df), size * count);
      r.region.fill!(addr - r.base, size, count, df, value, high);
    },
    mmioCopyIn: (addr, size, count, df, source, sourceAt) => {
      const r = region(first(addr, size, count, df), size * count);
      r.region.copyIn!(addr - r.base, size, count, df, source, sourceAt);
    },
    mmioCopyOut: (addr, size, count, df, target, targetAt) => {
      const r = region(first(addr, size, count, df), size * count);
      r.region.copyOut!(addr - r.base, size, count, df, target, targetAt);
    },
  };
}
