/**
 * Copies between hypercall arguments and guest memory, as Xen's hvm_copy_to/from_guest_linear:
 * the address is a guest linear address, translated through the guest's page tables when paging
 * is on; a page that does not map, or maps to anything but RAM of the guest (writable RAM for a
 * write), makes the hypercall return -EFAULT — no #PF reaches the guest and CR2 is left as it was,
 * and no host error ever follows from a guest pointer.
 */
import { P2mType, PAGE_SHIFT, PAGE_SIZE } from '../../shared/p2m.js';
import type { Cpu } from '../cpu/cpu.js';
import { GuestFault } from '../cpu/fault.js';
import { Access } from '../cpu/page-walk.js';

/** The guest-physical address of each page-sized piece of [lin, lin + length), or undefined. */
function pieces(cpu: Cpu, lin: number, length: number, write: boolean): { gpa: number; bytes: number }[] | undefined {
  const out: { gpa: number; bytes: number }[] = [];
  const mem = cpu.mem;
  const cr2 = cpu.cr2;
  let at = lin >>> 0;
  let left = length;
  while (left > 0) {
    const bytes = Math.min(left, PAGE_SIZE - (at & (PAGE_SIZE - 1)));
    let gpa: number;
    try {
      gpa = cpu.phys(at, write ? Access.WRITE : Access.READ);
    } catch (e) {
      if (!(e instanceof GuestFault)) throw e;
      cpu.cr2 = cr2;
      return undefined;
    }
    const t = mem.p2m[gpa >>> PAGE_SHIFT];
    if (!mem.inRam(gpa, bytes) || (t !== P2mType.RAM_RW && !(t === P2mType.RAM_LOGDIRTY && !write))) return undefined;
    out.push({ gpa, bytes });
    at = (at + bytes) >>> 0;
    left -= bytes;
  }
  return out;
}

/** Write `bytes` at guest linear address `lin`; false (→ -EFAULT) if any of it is not writable RAM. */
export function copyToGuest(cpu: Cpu, lin: number, bytes: Uint8Array): boolean {
  const parts = pieces(cpu, lin, bytes.length, true);
  if (!parts) return false;
  let from = 0;
  for (const p of parts) {
    cpu.mem.load(p.gpa, bytes.subarray(from, from + p.bytes)); // drops translations of code it overwrites
    from += p.bytes;
  }
  return true;
}

/** Read `length` bytes at guest linear address `lin`; undefined (→ -EFAULT) if any of it is not RAM. */
export function copyFromGuest(cpu: Cpu, lin: number, length: number): Uint8Array | undefined {
  const parts = pieces(cpu, lin, length, false);
  if (!parts) return undefined;
  const out = new Uint8Array(length);
  let to = 0;
  for (const p of parts) {
    out.set(cpu.mem.ram.subarray(p.gpa, p.gpa + p.bytes), to);
    to += p.bytes;
  }
  return out;
}
