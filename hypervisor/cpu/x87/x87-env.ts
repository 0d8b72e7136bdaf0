/**
 * Saving and loading the x87 environment and state: FNSTENV/FLDENV (14 or 28 bytes),
 * FNSAVE/FRSTOR (94 or 108 bytes) in their protected-mode 16- and 32-bit layouts (SDM Vol. 1
 * figures 8-9 to 8-12), and FXSAVE/FXRSTOR's 512-byte area (SDM Vol. 1 table 10-2; only its
 * x87 part, as there is no SSE: MXCSR and the XMM slots are left untouched).
 */
import type { Cpu } from '../cpu.js';
import { gp } from '../fault.js';
import { F80 } from './float80.js';
import { rdBytes, wrBytes } from './x87-memory.js';
import type { X87State } from './x87-state.js';

/** Reserved upper halves of the 32-bit environment's words, as the host writes them. */
const RESERVED_HI = 0xffff;

function envBytes(f: X87State, osz: number): number[] {
  const out: number[] = [];
  const w16 = (v: number): void => {
    out.push(v & 0xff, (v >>> 8) & 0xff);
  };
  const w32 = (v: number): void => {
    w16(v & 0xffff);
    w16(v >>> 16);
  };
  if (osz === 2) {
    w16(f.cw);
    w16(f.status());
    w16(f.tagWord());
    w16(f.fip);
    w16(f.fcs);
    w16(f.fdp);
    w16(f.fds);
  } else {
    w32(f.cw | (RESERVED_HI << 16));
    w32(f.status() | (RESERVED_HI << 16));
    w32(f.tagWord() | (RESERVED_HI << 16));
    w32(f.fip);
    w32((f.fcs & 0xffff) | ((f.fop & 0x7ff) << 16));
    w32(f.fdp);
    w32((f.fds & 0xffff) | (RESERVED_HI << 16));
  }
  return out;
}

function loadEnv(f: X87State, b: number[], osz: number): void {
  const r16 = (at: number): number => b[at]! | (b[at + 1]! << 8);
  const r32 = (at: number): number => (r16(at) | (r16(at + 2) << 16)) >>> 0;
  if (osz === 2) {
    f.cw = r16(0);
    f.setStatus(r16(2));
    f.setTagWord(r16(4));
    f.fip = r16(6);
    f.fcs = r16(8);
    f.fdp = r16(10);
    f.fds = r16(12);
  } else {
    f.cw = r16(0);
    f.setStatus(r16(4));
    f.setTagWord(r16(8));
    f.fip = r32(12);
    f.fcs = r16(16);
    f.fop = r16(18) & 0x7ff;
    f.fdp = r32(20);
    f.fds = r16(24);
  }
  f.updateEs();
}

export function envSize(osz: number): number {
  return osz === 2 ? 14 : 28;
}

/** FNSTENV: store the environment, then mask every exception. */
export function fstenv(c: Cpu, f: X87State, lin: number, osz: number): void {
  const b = envBytes(f, osz);
  c.probeWrite(lin, b.length);
  wrBytes(c, lin, b);
  f.cw |= 0x3f;
}

export function fldenv(c: Cpu, f: X87State, lin: number, osz: number): void {
  loadEnv(f, rdBytes(c, lin, envSize(osz)), osz);
}

/** FNSAVE: the environment and ST(0)–ST(7), then FNINIT. */
export function fsave(c: Cpu, f: X87State, lin: number, osz: number): void {
  const b = envBytes(f, osz);
  for (let i = 0; i < 8; i++) {
    const at = b.length;
    b.length += 10;
    f.st(i).toBytes(b, at);
  }
  c.probeWrite(lin, b.length);
  wrBytes(c, lin, b);
  f.init();
}

export function frstor(c: Cpu, f: X87State, lin: number, osz: number): void {
  const n = envSize(osz);
  const b = rdBytes(c, lin, n + 80);
  loadEnv(f, b, osz);
  for (let i = 0; i < 8; i++) f.r[f.phys(i)] = F80.fromBytes(b, n + 10 * i);
}

/** FXSAVE: the x87 part of the 512-byte area, which must be 16-byte aligned (#GP(0) otherwise). */
export function fxsave(c: Cpu, f: X87State, lin: number): void {
  if (lin & 15) gp(0);
  c.probeWrite(lin, 512);
  const head = new Array<number>(24).fill(0);
  const put16 = (at: number, v: number): void => {
    head[at] = v & 0xff;
    head[at + 1] = (v >>> 8) & 0xff;
  };
  put16(0, f.cw);
  put16(2, f.status());
  head[4] = f.abridgedTags();
  put16(6, f.fop & 0x7ff);
  put16(8, f.fip & 0xffff);
  put16(10, f.fip >>> 16);
  put16(12, f.fcs);
  put16(16, f.fdp & 0xffff);
  put16(18, f.fdp >>> 16);
  put16(20, f.fds);
  wrBytes(c, lin, head);
  for (let p = 0; p < 8; p++) {
    const b: number[] = [];
    f.st(p).toBytes(b);
    b.push(0, 0, 0, 0, 0, 0);
    wrBytes(c, (lin + 32 + 16 * p) | 0, b);
  }
}

export function fxrstor(c: Cpu, f: X87State, lin: number): void {
  if (lin & 15) gp(0);
  const head = rdBytes(c, lin, 24);
  const regs: F80[] = [];
  for (let p = 0; p < 8; p++) regs.push(F80.fromBytes(rdBytes(c, (lin + 32 + 16 * p) | 0, 10)));
  const r16 = (at: number): number => head[at]! | (head[at + 1]! << 8);
  f.cw = r16(0);
  f.setStatus(r16(2));
  f.setAbridgedTags(head[4]!);
  f.fop = r16(6) & 0x7ff;
  f.fip = (r16(8) | (r16(10) << 16)) >>> 0;
  f.fcs = r16(12);
  f.fdp = (r16(16) | (r16(18) << 16)) >>> 0;
  f.fds = r16(20);
  for (let p = 0; p < 8; p++) f.r[f.phys(p)] = regs[p]!;
  f.updateEs();
}
