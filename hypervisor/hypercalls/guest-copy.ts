/**
 * Copies between hypercall arguments and guest memory, as Xen's copy_to/from_guest: an address
 * that is not writable (or readable) RAM of the guest is -EFAULT for the hypercall, never a host
 * error. Guest addresses are guest-physical while paging is off (the only mode so far).
 */
import { P2mType, PAGE_SHIFT } from '../../shared/p2m.js';
import type { Cpu } from '../cpu/cpu.js';

function isRam(cpu: Cpu, gpa: number, length: number, write: boolean): boolean {
  const mem = cpu.mem;
  if (!Number.isInteger(gpa) || gpa < 0 || length < 0 || !mem.inRam(gpa, length)) return false;
  if (length === 0) return true;
  for (let f = gpa >>> PAGE_SHIFT; f <= (gpa + length - 1) >>> PAGE_SHIFT; f++) {
    const t = mem.p2m[f];
    if (t !== P2mType.RAM_RW && !(t === P2mType.RAM_LOGDIRTY && !write)) return false;
  }
  return true;
}

/** Write `bytes` at guest address `gpa`; false (→ -EFAULT) if any of it is not writable RAM. */
export function copyToGuest(cpu: Cpu, gpa: number, bytes: Uint8Array): boolean {
  if (!isRam(cpu, gpa >>> 0, bytes.length, true)) return false;
  cpu.mem.load(gpa >>> 0, bytes);
  return true;
}

/** Read `length` bytes at `gpa`; undefined (→ -EFAULT) if any of it is not RAM. */
export function copyFromGuest(cpu: Cpu, gpa: number, length: number): Uint8Array | undefined {
  if (!isRam(cpu, gpa >>> 0, length, false)) return undefined;
  return cpu.mem.ram.slice(gpa >>> 0, (gpa >>> 0) + length);
}
