/**
 * Segment loads: descriptors read from the guest's GDT, checked as a CPL-0 processor checks
 * them, and cached in the hidden part of the segment register. No LDT (a selector with TI=1
 * raises #GP) and no task switches.
 */
import type { Cpu } from './cpu.js';
import { fault } from './fault.js';
import { Seg, Vector } from './registers.js';

export interface Descriptor {
  base: number;
  limit: number;
  /** Bits 8–23 of the high dword: type, S, DPL, P, AVL, D/B, G. */
  attr: number;
}

const ATTR_PRESENT = 0x80;
const ATTR_S = 0x10; // code/data (not system)
const ATTR_CODE = 0x08;
const ATTR_RW = 0x02; // writable data / readable code

/** Read the descriptor for a non-null selector; #GP(selector) if it is outside the GDT. */
export function readDescriptor(c: Cpu, selector: number): Descriptor {
  if (selector & 4) fault(Vector.GP, selector & 0xfffc); // LDT not supported
  const offset = selector & 0xfff8;
  if (offset + 7 > c.gdtrLimit) fault(Vector.GP, selector & 0xfffc);
  const lo = c.rd32(c.gdtrBase + offset);
  const hi = c.rd32(c.gdtrBase + offset + 4);
  let limit = (lo & 0xffff) | (hi & 0xf0000);
  if (hi & 0x800000) limit = (limit << 12) | 0xfff;
  return {
    base: (lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000),
    limit,
    attr: (hi >>> 8) & 0xf0ff,
  };
}

function install(c: Cpu, seg: Seg, selector: number, d: Descriptor): void {
  c.segSel[seg] = selector & 0xffff;
  c.segBase[seg] = d.base;
  c.segLimit[seg] = d.limit;
  c.segAttr[seg] = d.attr;
}

/**
 * The loader's segment loads at boot: CS and every data segment from the descriptors the domain
 * builder wrote at GDTR, hidden parts exactly as the descriptors say (no checks: the builder's
 * own table).
 */
export function loadBootSegments(c: Cpu, codeSelector: number, dataSelector: number): void {
  const code = readDescriptor(c, codeSelector);
  const data = readDescriptor(c, dataSelector);
  for (let s: Seg = 0; s < 6; s++) install(c, s, s === Seg.CS ? codeSelector : dataSelector, s === Seg.CS ? code : data);
}

/** MOV Sreg / POP Sreg: load a data segment (DS, ES, FS, GS) or the stack segment (SS). */
export function loadDataSegment(c: Cpu, seg: Seg, selector: number): void {
  selector &= 0xffff;
  if ((selector & 0xfffc) === 0) {
    if (seg === Seg.SS) fault(Vector.GP, 0);
    // A null selector is legal in DS/ES/FS/GS; accesses through it would #GP on hardware.
    c.segSel[seg] = selector;
    c.segBase[seg] = 0;
    c.segLimit[seg] = 0;
    c.segAttr[seg] = 0;
    return;
  }
  const d = readDescriptor(c, selector);
  const a = d.attr;
  if (seg === Seg.SS) {
    if (!(a & ATTR_S) || a & ATTR_CODE || !(a & ATTR_RW)) fault(Vector.GP, selector & 0xfffc);
    if (!(a & ATTR_PRESENT)) fault(Vector.SS, selector & 0xfffc);
  } else {
    if (!(a & ATTR_S) || (a & ATTR_CODE && !(a & ATTR_RW))) fault(Vector.GP, selector & 0xfffc);
    if (!(a & ATTR_PRESENT)) fault(Vector.NP, selector & 0xfffc);
  }
  install(c, seg, selector, d);
}

/** Far JMP/CALL/RET and IRET: load CS with a 32-bit code segment. */
export function loadCodeSegment(c: Cpu, selector: number): void {
  selector &= 0xffff;
  if ((selector & 0xfffc) === 0) fault(Vector.GP, 0);
  const d = readDescriptor(c, selector);
  const a = d.attr;
  if (!(a & ATTR_S) || !(a & ATTR_CODE)) fault(Vector.GP, selector & 0xfffc); // call/task gates not supported
  if (!(a & ATTR_PRESENT)) fault(Vector.NP, selector & 0xfffc);
  if (!(a & 0x4000)) fault(Vector.GP, selector & 0xfffc); // 16-bit code segments are not supported
  install(c, Seg.CS, selector, d);
}

/** The code segment named by an interrupt gate; faults here become #DF. */
export function loadSegmentForInterrupt(c: Cpu, selector: number): void {
  loadCodeSegment(c, selector);
}
