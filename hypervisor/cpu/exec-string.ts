/**
 * String instructions (MOVS, STOS, LODS, CMPS, SCAS, INS, OUTS) with REP/REPE/REPNE and DF.
 *
 * REP MOVS/STOS work a page at a time: within plain RAM they become one typed-array copy or
 * fill; against a frame that exits (mmio_dm) they become ONE exit per page with `count` and
 * `data_is_ptr`, as Xen turns them into one ioreq. INS/OUTS likewise leave as one string-I/O
 * exit per page. Every other repetition that reaches emulated memory is an exit of its own, as
 * Xen's emulator does one such repetition per exit (Cpu.endEmulation marks the boundary). Registers are written back after every chunk, so a fault
 * part-way leaves the state an interrupted REP instruction would leave, and the instruction
 * restarts where it stopped.
 */
import { P2mType, PAGE_SHIFT } from '../../shared/p2m.js';
import type { Cpu } from './cpu.js';
import { ExitReason, IoDir } from './exit.js';
import type { Insn } from './insn.js';
import { alu } from './exec-alu.js';
import { Access } from './page-walk.js';
import { Flag, Reg, Seg } from './registers.js';

/** Elements of `osz` bytes starting at `addr` that stay inside its page, walking up or down. */
function elemsInPage(addr: number, osz: number, down: boolean): number {
  const off = addr & 0xfff;
  if (off + osz > 0x1000) return 0;
  return down ? Math.floor(off / osz) + 1 : Math.floor((0x1000 - off) / osz);
}

function getCount(c: Cpu, i: Insn): number {
  return i.asz16 ? c.regs[Reg.ECX]! & 0xffff : c.regs[Reg.ECX]! >>> 0;
}

function setCount(c: Cpu, i: Insn, n: number): void {
  if (i.asz16) c.setReg(Reg.ECX, 2, n);
  else c.regs[Reg.ECX] = n;
}

function getIndex(c: Cpu, i: Insn, r: Reg): number {
  return i.asz16 ? c.regs[r]! & 0xffff : c.regs[r]!;
}

function advance(c: Cpu, i: Insn, r: Reg, bytes: number): void {
  if (i.asz16) c.setReg(r, 2, (c.regs[r]! + bytes) & 0xffff);
  else c.regs[r] = (c.regs[r]! + bytes) | 0;
}

/** Does an access to this frame leave the CPU (device-model or hypervisor MMIO)? */
function exitsOn(c: Cpu, frame: number): boolean {
  const t = c.mem.p2m[frame];
  return t === P2mType.MMIO_DM || t === P2mType.MMIO_HV;
}

export function movs(c: Cpu, i: Insn): void {
  const osz = i.osz;
  const down = (c.flags & Flag.DF) !== 0;
  const step = down ? -osz : osz;
  const srcBase = c.segBase[i.seg]!;
  const dstBase = c.segBase[Seg.ES]!;
  if (!i.rep) {
    c.wr(getIndex(c, i, Reg.EDI) + dstBase, osz, c.rd(getIndex(c, i, Reg.ESI) + srcBase, osz));
    advance(c, i, Reg.ESI, step);
    advance(c, i, Reg.EDI, step);
    return;
  }
  let count = getCount(c, i);
  const mem = c.mem;
  while (count > 0) {
    c.endEmulation();
    const src = (getIndex(c, i, Reg.ESI) + srcBase) >>> 0;
    const dst = (getIndex(c, i, Reg.EDI) + dstBase) >>> 0;
    let n = Math.min(count, elemsInPage(src, osz, down), elemsInPage(dst, osz, down));
    if (i.asz16) n = 1; // 16-bit indexes wrap inside the segment: keep it simple and exact
    // With paging the chunk's two pages are translated first (source read, then destination
    // write, the order of each element's accesses); both lie inside one page each.
    const sp = n > 1 ? c.phys(src, Access.READ) : 0;
    const dp = n > 1 ? c.phys(dst, Access.WRITE) : 0;
    const sf = sp >>> PAGE_SHIFT;
    const df = dp >>> PAGE_SHIFT;
    if (n > 1 && mem.fastRead[sf] && mem.fastWrite[df]) {
      copyRam(c, sp, dp, n, osz, down);
    } else if (n > 1 && mem.fastRead[sf] && exitsOn(c, df)) {
      n = repExit(c, dp, osz, IoDir.OUT, n, down, true, sp);
    } else if (n > 1 && exitsOn(c, sf) && mem.fastWrite[df]) {
      n = repExit(c, sp, osz, IoDir.IN, n, down, true, dp);
    } else {
      n = 1;
      c.wr(dst, osz, c.rd(src, osz));
    }
    count -= n;
    advance(c, i, Reg.ESI, step * n);
    advance(c, i, Reg.EDI, step * n);
    setCount(c, i, count);
  }
}

/** Element-exact RAM copy: forward overlap (dst just above src) replicates, as hardware does. */
function copyRam(c: Cpu, src: number, dst: number, n: number, osz: number, down: boolean): void {
  const ram = c.mem.ram;
  const bytes = n * osz;
  if (!down) {
    if (dst <= src || dst >= src + bytes) ram.copyWithin(dst, src, src + bytes);
    else {
      // Each element is read whole before it is written.
      for (let e = 0; e < n; e++) {
        const o = e * osz;
        if (osz === 1) ram[dst + o] = ram[src + o]!;
        else if (osz === 2) c.mem.ramView.setUint16(dst + o, c.mem.ramView.getUint16(src + o, true), true);
        else c.mem.ramView.setInt32(dst + o, c.mem.ramView.getInt32(src + o, true), true);
      }
    }
  } else {
    const lo = src - (n - 1) * osz;
    const dlo = dst - (n - 1) * osz;
    if (dst >= src || dst + osz <= lo) ram.copyWithin(dlo, lo, lo + bytes);
    else {
      for (let e = 0; e < n; e++) {
        const o = e * osz;
        if (osz === 1) ram[dst - o] = ram[src - o]!;
        else if (osz === 2) c.mem.ramView.setUint16(dst - o, c.mem.ramView.getUint16(src - o, true), true);
        else c.mem.ramView.setInt32(dst - o, c.mem.ramView.getInt32(src - o, true), true);
      }
    }
  }
}

/**
 * One exit for `n` repetitions against an exiting frame. `dataIsPtr`: `data` is the
 * guest-physical RAM address on the other side; otherwise `value` is the datum (REP STOS).
 * Returns how many repetitions the handler performed.
 */
function repExit(
  c: Cpu,
  addr: number,
  osz: number,
  dir: IoDir,
  n: number,
  down: boolean,
  dataIsPtr: boolean,
  data: number,
): number {
  const x = c.exit;
  x.addr = addr;
  x.size = osz;
  x.dir = dir;
  x.p2mType = c.mem.p2m[addr >>> PAGE_SHIFT]!;
  x.count = n;
  x.dataIsPtr = dataIsPtr;
  x.data = dataIsPtr ? data : 0;
  x.value = dataIsPtr ? 0 : data;
  x.df = down;
  x.done = n;
  x.retry = false;
  c.exitEpt();
  const done = x.done;
  return done >= 1 && done <= n ? done : n;
}

export function stos(c: Cpu, i: Insn): void {
  const osz = i.osz;
  const down = (c.flags & Flag.DF) !== 0;
  const step = down ? -osz : osz;
  const dstBase = c.segBase[Seg.ES]!;
  const v = c.getReg(Reg.EAX, osz);
  if (!i.rep) {
    c.wr(getIndex(c, i, Reg.EDI) + dstBase, osz, v);
    advance(c, i, Reg.EDI, step);
    return;
  }
  let count = getCount(c, i);
  const mem = c.mem;
  while (count > 0) {
    c.endEmulation();
    const dst = (getIndex(c, i, Reg.EDI) + dstBase) >>> 0;
    let n = Math.min(count, elemsInPage(dst, osz, down));
    if (i.asz16) n = 1;
    const dp = n > 1 ? c.phys(dst, Access.WRITE) : 0;
    const df = dp >>> PAGE_SHIFT;
    if (n > 1 && mem.fastWrite[df]) {
      fillRam(c, down ? dp - (n - 1) * osz : dp, n, osz, v);
    } else if (n > 1 && exitsOn(c, df)) {
      n = repExit(c, dp, osz, IoDir.OUT, n, down, false, v);
    } else {
      n = 1;
      c.wr(dst, osz, v);
    }
    count -= n;
    advance(c, i, Reg.EDI, step * n);
    setCount(c, i, count);
  }
}

function fillRam(c: Cpu, lo: number, n: number, osz: number, v: number): void {
  const mem = c.mem;
  if (osz === 1) mem.ram.fill(v & 0xff, lo, lo + n);
  else if (osz === 4 && (lo & 3) === 0) mem.ram32.fill(v, lo >>> 2, (lo >>> 2) + n);
  else {
    const view = mem.ramView;
    for (let k = 0; k < n; k++) {
      if (osz === 4) view.setInt32(lo + 4 * k, v, true);
      else view.setUint16(lo + 2 * k, v, true);
    }
  }
}

export function lods(c: Cpu, i: Insn): void {
  const osz = i.osz;
  const step = c.flags & Flag.DF ? -osz : osz;
  const srcBase = c.segBase[i.seg]!;
  if (!i.rep) {
    c.setReg(Reg.EAX, osz, c.rd(getIndex(c, i, Reg.ESI) + srcBase, osz));
    advance(c, i, Reg.ESI, step);
    return;
  }
  let count = getCount(c, i);
  while (count > 0) {
    c.endEmulation();
    c.setReg(Reg.EAX, osz, c.rd(getIndex(c, i, Reg.ESI) + srcBase, osz));
    advance(c, i, Reg.ESI, step);
    setCount(c, i, --count);
  }
}

/** CMPS: compares [ESI] with [EDI] (source minus destination). */
export function cmps(c: Cpu, i: Insn): void {
  const osz = i.osz;
  const step = c.flags & Flag.DF ? -osz : osz;
  const srcBase = c.segBase[i.seg]!;
  const dstBase = c.segBase[Seg.ES]!;
  if (!i.rep) {
    const a = c.rd(getIndex(c, i, Reg.ESI) + srcBase, osz);
    const b = c.rd(getIndex(c, i, Reg.EDI) + dstBase, osz);
    alu(c, 7, osz, a, b);
    advance(c, i, Reg.ESI, step);
    advance(c, i, Reg.EDI, step);
    return;
  }
  const wantEqual = i.rep === 1;
  let count = getCount(c, i);
  while (count > 0) {
    c.endEmulation();
    const a = c.rd(getIndex(c, i, Reg.ESI) + srcBase, osz);
    const b = c.rd(getIndex(c, i, Reg.EDI) + dstBase, osz);
    alu(c, 7, osz, a, b);
    advance(c, i, Reg.ESI, step);
    advance(c, i, Reg.EDI, step);
    setCount(c, i, --count);
    if (((a ^ b) & (osz === 4 ? -1 : osz === 2 ? 0xffff : 0xff)) === 0 !== wantEqual) break;
  }
}

/** SCAS: compares eAX with [EDI]. */
export function scas(c: Cpu, i: Insn): void {
  const osz = i.osz;
  const step = c.flags & Flag.DF ? -osz : osz;
  const dstBase = c.segBase[Seg.ES]!;
  const a = c.getReg(Reg.EAX, osz);
  if (!i.rep) {
    alu(c, 7, osz, a, c.rd(getIndex(c, i, Reg.EDI) + dstBase, osz));
    advance(c, i, Reg.EDI, step);
    return;
  }
  const wantEqual = i.rep === 1;
  let count = getCount(c, i);
  while (count > 0) {
    c.endEmulation();
    const b = c.rd(getIndex(c, i, Reg.EDI) + dstBase, osz);
    alu(c, 7, osz, a, b);
    advance(c, i, Reg.EDI, step);
    setCount(c, i, --count);
    if (((a ^ b) & (osz === 4 ? -1 : osz === 2 ? 0xffff : 0xff)) === 0 !== wantEqual) break;
  }
}

/**
 * INS/OUTS: one string-I/O exit per page-bounded chunk with data_is_ptr (the handler moves
 * the data between the port and guest RAM); per element where the buffer is not plain RAM.
 */
function stringIo(c: Cpu, i: Insn, dir: IoDir): void {
  const osz = i.osz;
  const down = (c.flags & Flag.DF) !== 0;
  const step = down ? -osz : osz;
  const port = c.regs[Reg.EDX]! & 0xffff;
  const reg = dir === IoDir.IN ? Reg.EDI : Reg.ESI;
  const base = dir === IoDir.IN ? c.segBase[Seg.ES]! : c.segBase[i.seg]!;
  let count = i.rep ? getCount(c, i) : 1;
  const mem = c.mem;
  const x = c.exit;
  while (count > 0) {
    c.endEmulation();
    const addr = (getIndex(c, i, reg) + base) >>> 0;
    let n = Math.min(count, elemsInPage(addr, osz, down), 4096);
    if (i.asz16) n = Math.min(n, 1);
    const pa = n >= 1 ? c.phys(addr, dir === IoDir.IN ? Access.WRITE : Access.READ) : 0;
    const frame = pa >>> PAGE_SHIFT;
    const ramOk = n >= 1 && (dir === IoDir.IN ? mem.fastWrite[frame] : mem.fastRead[frame]);
    // OUTS from memory that is not plain RAM: read the element first (that access may be an
    // exit of its own, which reuses `x`), then describe the port write.
    const out = !ramOk && dir === IoDir.OUT ? c.rd(addr, osz) : 0;
    x.addr = port;
    x.size = osz;
    x.dir = dir;
    x.df = down;
    x.retry = false;
    if (ramOk) {
      x.count = n;
      x.dataIsPtr = true;
      x.data = pa;
      x.value = 0;
      x.done = n;
      c.vmexit(ExitReason.IO_INSTRUCTION);
      n = x.done >= 1 && x.done <= n ? x.done : n;
    } else {
      n = 1;
      x.count = 1;
      x.dataIsPtr = false;
      x.data = 0;
      x.done = 1;
      if (dir === IoDir.IN) {
        x.value = 0;
        c.vmexit(ExitReason.IO_INSTRUCTION);
        c.wr(addr, osz, x.value);
      } else {
        x.value = out;
        c.vmexit(ExitReason.IO_INSTRUCTION);
      }
    }
    count -= n;
    advance(c, i, reg, step * n);
    if (i.rep) setCount(c, i, count);
  }
}

export function ins(c: Cpu, i: Insn): void {
  stringIo(c, i, IoDir.IN);
}

export function outs(c: Cpu, i: Insn): void {
  stringIo(c, i, IoDir.OUT);
}
