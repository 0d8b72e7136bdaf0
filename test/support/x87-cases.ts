/**
 * Seeded x87 cases for the native differential test: a whole FPU state (as an FRSTOR image),
 * one instruction with its memory operand at [EBX], and the memory it reads. Values lean on
 * the edges: ±0, denormals, pseudo-denormals, unnormals and the other unsupported encodings,
 * infinities, quiet and signalling NaNs, the indefinite, exponents at the ends of the range,
 * significands at the rounding boundaries of 24, 53 and 64 bits, small integers and halves;
 * control words cover every precision, rounding mode and mask pattern.
 */
import { seededUint32 } from '../../bench/statistics.js';

export type MemKind =
  | 'f32' | 'f64' | 'f80' | 'i16' | 'i32' | 'i64' | 'bcd'
  | 'cw' | 'env14' | 'env28' | 'save94' | 'save108' | 'fx' | 'out' | 'none';

export interface X87Form {
  name: string;
  bytes: number[];
  mem: MemKind;
  /** Transcendental: compared by the accuracy rule, exact agreement counted. */
  trans?: 'f2xm1' | 'fyl2x' | 'fptan' | 'fpatan' | 'fyl2xp1' | 'fsincos' | 'fsin' | 'fcos';
  /** Memory bytes holding host pointers (FIP, FCS, FDP, FDS) in a stored environment: not compared. */
  pointerBytes?: number[];
}

export interface X87Case {
  form: X87Form;
  state: Uint8Array; // 108-byte FRSTOR image (32-bit protected-mode layout)
  mem: Uint8Array;
  eflags: number;
}

export interface X87Outcome {
  state: Uint8Array;
  mem: Uint8Array;
  eax: number;
  eflags: number;
  signal: number;
}

const MODRM_EBX = 3; // mod 00, rm 011: [ebx]

function range(n: number): number[] {
  return Array.from({ length: n }, (_, k) => k);
}

const ENV32_POINTERS = [12, 13, 14, 15, 16, 17, 20, 21, 22, 23, 24, 25];
const ENV16_POINTERS = [6, 7, 8, 9, 10, 11, 12, 13];
/** FXSAVE: FIP, FCS, FDP, FDS, MXCSR and its mask, and everything past the x87 registers. */
const FX_SKIPPED = [...range(16).map((k) => k + 8), ...range(8).map((k) => k + 24), ...range(512 - 160).map((k) => k + 160)];

/** Every x87 form the issue lists (FISTTP aside: CPUID has no SSE3, so hvmsim raises #UD). */
export function x87Forms(): X87Form[] {
  const forms: X87Form[] = [];
  const m = (name: string, op: number, reg: number, mem: MemKind, extra: Partial<X87Form> = {}, prefix: number[] = []): void => {
    forms.push({ name, bytes: [...prefix, op, (reg << 3) | MODRM_EBX], mem, ...extra });
  };
  const r = (name: string, op: number, modrm: number, extra: Partial<X87Form> = {}): void => {
    forms.push({ name, bytes: [op, modrm], mem: 'none', ...extra });
  };
  const ARITH = ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'];
  ARITH.forEach((n, reg) => {
    m(`${n} m32`, 0xd8, reg, 'f32');
    m(`${n} m64`, 0xdc, reg, 'f64');
    m(`fi${n.slice(1)} m32`, 0xda, reg, 'i32');
    m(`fi${n.slice(1)} m16`, 0xde, reg, 'i16');
    for (let i = 0; i < 8; i++) {
      r(`${n} st,st${i}`, 0xd8, 0xc0 | (reg << 3) | i);
      r(`${n} st${i},st (dc)`, 0xdc, 0xc0 | (reg << 3) | i);
      if (reg !== 3 || i === 1) r(`${n}p st${i} (de)`, 0xde, 0xc0 | (reg << 3) | i);
    }
  });
  m('fld m32', 0xd9, 0, 'f32');
  m('fst m32', 0xd9, 2, 'out');
  m('fstp m32', 0xd9, 3, 'out');
  m('fldenv m28', 0xd9, 4, 'env28');
  m('fldenv m14', 0xd9, 4, 'env14', {}, [0x66]);
  m('fldcw', 0xd9, 5, 'cw');
  m('fnstenv m28', 0xd9, 6, 'out', { pointerBytes: ENV32_POINTERS });
  m('fnstenv m14', 0xd9, 6, 'out', { pointerBytes: ENV16_POINTERS }, [0x66]);
  m('fnstcw', 0xd9, 7, 'out');
  m('fild m32', 0xdb, 0, 'i32');
  m('fist m32', 0xdb, 2, 'out');
  m('fistp m32', 0xdb, 3, 'out');
  m('fld m80', 0xdb, 5, 'f80');
  m('fstp m80', 0xdb, 7, 'out');
  m('fld m64', 0xdd, 0, 'f64');
  m('fst m64', 0xdd, 2, 'out');
  m('fstp m64', 0xdd, 3, 'out');
  m('frstor m108', 0xdd, 4, 'save108');
  m('frstor m94', 0xdd, 4, 'save94', {}, [0x66]);
  m('fnsave m108', 0xdd, 6, 'out', { pointerBytes: ENV32_POINTERS });
  m('fnsave m94', 0xdd, 6, 'out', { pointerBytes: ENV16_POINTERS }, [0x66]);
  m('fnstsw m16', 0xdd, 7, 'out');
  m('fild m16', 0xdf, 0, 'i16');
  m('fist m16', 0xdf, 2, 'out');
  m('fistp m16', 0xdf, 3, 'out');
  m('fbld', 0xdf, 4, 'bcd');
  m('fild m64', 0xdf, 5, 'i64');
  m('fbstp', 0xdf, 6, 'out');
  m('fistp m64', 0xdf, 7, 'out');
  forms.push({ name: 'fxsave', bytes: [0x0f, 0xae, (0 << 3) | MODRM_EBX], mem: 'out', pointerBytes: FX_SKIPPED });
  forms.push({ name: 'fxrstor', bytes: [0x0f, 0xae, (1 << 3) | MODRM_EBX], mem: 'fx' });
  for (let i = 0; i < 8; i++) {
    r(`fld st${i}`, 0xd9, 0xc0 | i);
    r(`fxch st${i}`, 0xd9, 0xc8 | i);
    r(`fcmovb st${i}`, 0xda, 0xc0 | i);
    r(`fcmove st${i}`, 0xda, 0xc8 | i);
    r(`fcmovbe st${i}`, 0xda, 0xd0 | i);
    r(`fcmovu st${i}`, 0xda, 0xd8 | i);
    r(`fcmovnb st${i}`, 0xdb, 0xc0 | i);
    r(`fcmovne st${i}`, 0xdb, 0xc8 | i);
    r(`fcmovnbe st${i}`, 0xdb, 0xd0 | i);
    r(`fcmovnu st${i}`, 0xdb, 0xd8 | i);
    r(`fucomi st${i}`, 0xdb, 0xe8 | i);
    r(`fcomi st${i}`, 0xdb, 0xf0 | i);
    r(`ffree st${i}`, 0xdd, 0xc0 | i);
    r(`fst st${i}`, 0xdd, 0xd0 | i);
    r(`fstp st${i}`, 0xdd, 0xd8 | i);
    r(`fucom st${i}`, 0xdd, 0xe0 | i);
    r(`fucomp st${i}`, 0xdd, 0xe8 | i);
    r(`fucomip st${i}`, 0xdf, 0xe8 | i);
    r(`fcomip st${i}`, 0xdf, 0xf0 | i);
  }
  r('fnop', 0xd9, 0xd0);
  r('fchs', 0xd9, 0xe0);
  r('fabs', 0xd9, 0xe1);
  r('ftst', 0xd9, 0xe4);
  r('fxam', 0xd9, 0xe5);
  ['fld1', 'fldl2t', 'fldl2e', 'fldpi', 'fldlg2', 'fldln2', 'fldz'].forEach((n, k) => r(n, 0xd9, 0xe8 + k));
  r('f2xm1', 0xd9, 0xf0, { trans: 'f2xm1' });
  r('fyl2x', 0xd9, 0xf1, { trans: 'fyl2x' });
  r('fptan', 0xd9, 0xf2, { trans: 'fptan' });
  r('fpatan', 0xd9, 0xf3, { trans: 'fpatan' });
  r('fxtract', 0xd9, 0xf4);
  r('fprem1', 0xd9, 0xf5);
  r('fdecstp', 0xd9, 0xf6);
  r('fincstp', 0xd9, 0xf7);
  r('fprem', 0xd9, 0xf8);
  r('fyl2xp1', 0xd9, 0xf9, { trans: 'fyl2xp1' });
  r('fsqrt', 0xd9, 0xfa);
  r('fsincos', 0xd9, 0xfb, { trans: 'fsincos' });
  r('frndint', 0xd9, 0xfc);
  r('fscale', 0xd9, 0xfd);
  r('fsin', 0xd9, 0xfe, { trans: 'fsin' });
  r('fcos', 0xd9, 0xff, { trans: 'fcos' });
  r('fucompp', 0xda, 0xe9);
  r('fnclex', 0xdb, 0xe2);
  r('fninit', 0xdb, 0xe3);
  r('fnstsw ax', 0xdf, 0xe0);
  return forms;
}

// ---------------------------------------------------------------- values

type Rand = () => number;

function big64(r: Rand): bigint {
  return (BigInt(r()) << 32n) | BigInt(r());
}

function ext(sign: number, exp: number, sig: bigint): Uint8Array {
  const b = new Uint8Array(10);
  let s = BigInt.asUintN(64, sig);
  for (let k = 0; k < 8; k++) {
    b[k] = Number(s & 0xffn);
    s >>= 8n;
  }
  const se = (sign << 15) | (exp & 0x7fff);
  b[8] = se & 0xff;
  b[9] = se >>> 8;
  return b;
}

const J = 1n << 63n;

/** A significand whose low bits sit at or next to a rounding boundary of 24, 53 or 64 bits. */
function boundarySig(r: Rand): bigint {
  const drop = [40, 11, 1, 2, 40, 11][r() % 6]!;
  const half = 1n << BigInt(drop - 1);
  const low = [0n, half, half - 1n, half + 1n, (1n << BigInt(drop)) - 1n, 1n][r() % 6]!;
  const top = (big64(r) | J) & ~((1n << BigInt(drop)) - 1n);
  return r() % 4 === 0 ? (J | ((1n << 63n) - (1n << BigInt(drop)))) + low : top | low;
}

function doubleToExt(x: number): Uint8Array {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x, true);
  const bits = dv.getBigUint64(0, true);
  const sign = Number(bits >> 63n);
  const e = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  if (e === 0) return ext(sign, 0, 0n);
  return ext(sign, e - 1023 + 16383, J | (frac << 11n));
}

/** An 80-bit value from the edges of the format. */
export function extValue(r: Rand): Uint8Array {
  const s = r() & 1;
  switch (r() % 23) {
    case 20:
      // Just below 1 at the 24-, 53- and 64-bit boundaries: products with values near 2^emin
      // round up to 2^emin or stay tiny (tininess after rounding).
      return ext(s, 0x3ffe - (r() % 2), [0xffffff8000000000n, 0xfffffffffffff800n, 0xffffffffffffffffn][r() % 3]! | BigInt(r() % 4));
    case 21:
      return ext(s, 0, [0x7fffffffffffffffn, 0x8000000000000001n, 0x7fffff8000000000n, 0x7ffffffffffff800n][r() % 4]! - BigInt(r() % 3));
    case 22:
      return ext(s, 1 + (r() % 2), [0x8000000000000000n, 0x8000000000000001n, 0x8000008000000000n][r() % 3]!);
    case 0:
      return ext(s, 0, 0n);
    case 1:
      return ext(s, 0, big64(r) >> BigInt(1 + (r() % 63)));
    case 2:
      return ext(s, 0, big64(r) | J); // pseudo-denormal
    case 3:
      return ext(s, 0x7fff, J);
    case 4:
      return ext(s, 0x7fff, J | (1n << 62n) | (big64(r) >> BigInt(2 + (r() % 62)))); // QNaN
    case 5:
      return ext(s, 0x7fff, J | ((big64(r) >> BigInt(2 + (r() % 62))) | 1n)); // SNaN
    case 6:
      return ext(1, 0x7fff, 0xc000000000000000n); // indefinite
    case 7:
      return ext(s, r() % 2 ? 0x7fff : 1 + (r() % 0x7ffe), big64(r) & ~J); // unsupported
    case 8:
    case 9:
      return ext(s, 16383 - 70 + (r() % 140), boundarySig(r));
    case 10:
      return ext(s, 1 + (r() % 80), r() % 2 ? boundarySig(r) : big64(r) | J); // tiny normals
    case 11:
      return ext(s, 0x7ffe - (r() % 80), r() % 2 ? boundarySig(r) : big64(r) | J); // huge normals
    case 12:
    case 13:
      return doubleToExt((s ? -1 : 1) * ((r() % 80) / [1, 2, 4, 8][r() % 4]!)); // small integers and halves
    case 14:
      return ext(s, 1 + (r() % 0x7ffe), big64(r) | J);
    default:
      return ext(s, 16383 - 20 + (r() % 40), big64(r) | J);
  }
}

function f32Value(r: Rand): number {
  const s = (r() & 1) << 31;
  switch (r() % 10) {
    case 0:
      return s;
    case 1:
      return s | (r() & 0x7fffff); // denormal
    case 2:
      return s | 0x7f800000;
    case 3:
      return s | 0x7fc00000 | (r() & 0x3fffff);
    case 4:
      return s | 0x7f800000 | ((r() & 0x3fffff) | 1);
    case 5:
      return s | ((1 + (r() % 254)) << 23) | (r() & 0x7fffff);
    default:
      return s | ((127 - 30 + (r() % 60)) << 23) | (r() & 0x7fffff);
  }
}

function f64Value(r: Rand): bigint {
  const s = BigInt(r() & 1) << 63n;
  const frac = big64(r) & ((1n << 52n) - 1n);
  switch (r() % 10) {
    case 0:
      return s;
    case 1:
      return s | (frac >> BigInt(r() % 52));
    case 2:
      return s | (0x7ffn << 52n);
    case 3:
      return s | (0x7ffn << 52n) | (1n << 51n) | (frac >> 2n);
    case 4:
      return s | (0x7ffn << 52n) | ((frac >> 2n) | 1n);
    case 5:
      return s | (BigInt(1 + (r() % 2046)) << 52n) | frac;
    default:
      return s | (BigInt(1023 - 60 + (r() % 120)) << 52n) | frac;
  }
}

function intValue(r: Rand, bits: number): bigint {
  const edges = [0n, 1n, -1n, (1n << BigInt(bits - 1)) - 1n, -(1n << BigInt(bits - 1))];
  if (r() % 4 === 0) return edges[r() % edges.length]!;
  const v = BigInt.asIntN(bits, big64(r));
  return r() % 2 ? v : v >> BigInt(r() % bits);
}

function le(v: bigint, n: number): number[] {
  const out: number[] = [];
  let x = BigInt.asUintN(8 * n, v);
  for (let k = 0; k < n; k++) {
    out.push(Number(x & 0xffn));
    x >>= 8n;
  }
  return out;
}

function controlWord(r: Rand): number {
  const masks = r() % 10 < 7 ? 0x3f : r() & 0x3f;
  const pc = [0, 2, 3, 3, 1][r() % 5]!;
  return masks | 0x40 | (pc << 8) | ((r() & 3) << 10) | (r() % 8 === 0 ? 0x1000 : 0);
}

/** A full tag from the contents (what FSAVE would write). */
function tagOf(b: Uint8Array): number {
  const exp = (b[8]! | (b[9]! << 8)) & 0x7fff;
  let sig = 0n;
  for (let k = 7; k >= 0; k--) sig = (sig << 8n) | BigInt(b[k]!);
  if (exp === 0 && sig === 0n) return 1;
  if (exp !== 0 && exp !== 0x7fff && sig & J) return 0;
  return 2;
}

/** An environment and registers: `masked` keeps the flags within the masks (no pending exception). */
function stateImage(r: Rand, masked: boolean, regs: Uint8Array[]): { cw: number; sw: number; tw: number; regs: Uint8Array[] } {
  const cw = controlWord(r);
  const top = r() & 7;
  let flags = r() & 0x7f;
  if (masked) flags &= cw & 0x3f;
  const cc = r() & (0x4000 | 0x400 | 0x200 | 0x100);
  const sw = flags | cc | (top << 11);
  let tw = 0;
  for (let p = 0; p < 8; p++) {
    const empty = r() % 4 === 0;
    // regs[] is in stack order: ST(i) is physical register (top + i) & 7.
    const st = (p - top) & 7;
    tw |= (empty ? 3 : tagOf(regs[st]!)) << (2 * p);
  }
  return { cw, sw, tw, regs };
}

function image32(s: { cw: number; sw: number; tw: number; regs: Uint8Array[] }, withRegs: boolean): Uint8Array {
  const b = new Uint8Array(withRegs ? 108 : 28);
  const v = new DataView(b.buffer);
  v.setUint32(0, s.cw | 0xffff0000, true);
  v.setUint32(4, s.sw | 0xffff0000, true);
  v.setUint32(8, s.tw | 0xffff0000, true);
  v.setUint32(12, 0, true);
  v.setUint32(16, 0, true);
  v.setUint32(20, 0, true);
  v.setUint32(24, 0xffff0000, true);
  if (withRegs) s.regs.forEach((x, i) => b.set(x, 28 + 10 * i));
  return b;
}

function image16(s: { cw: number; sw: number; tw: number; regs: Uint8Array[] }, withRegs: boolean): Uint8Array {
  const b = new Uint8Array(withRegs ? 94 : 14);
  const v = new DataView(b.buffer);
  v.setUint16(0, s.cw, true);
  v.setUint16(2, s.sw, true);
  v.setUint16(4, s.tw, true);
  if (withRegs) s.regs.forEach((x, i) => b.set(x, 14 + 10 * i));
  return b;
}

function fxImage(r: Rand, s: { cw: number; sw: number; tw: number; regs: Uint8Array[] }): Uint8Array {
  const b = new Uint8Array(512);
  const v = new DataView(b.buffer);
  v.setUint16(0, s.cw, true);
  v.setUint16(2, s.sw, true);
  let abridged = 0;
  for (let p = 0; p < 8; p++) if (((s.tw >>> (2 * p)) & 3) !== 3) abridged |= 1 << p;
  b[4] = abridged;
  v.setUint16(6, r() & 0x7ff, true);
  v.setUint32(24, 0x1f80, true); // MXCSR: the host checks it (it has SSE)
  s.regs.forEach((x, i) => b.set(x, 32 + 16 * i));
  return b;
}

function randomRegs(r: Rand): Uint8Array[] {
  return range(8).map(() => extValue(r));
}

/** A value in a transcendental's documented domain, as an 80-bit image. */
function domainValue(r: Rand, fn: NonNullable<X87Form['trans']>, which: 0 | 1): Uint8Array {
  const s = r() & 1;
  const sig = big64(r) | J;
  switch (fn) {
    case 'f2xm1':
      return ext(s, 16383 - 1 - (r() % 70), sig); // |x| < 1
    case 'fyl2xp1':
      return which === 0 ? ext(s, 16383 - 3 - (r() % 70), sig) : ext(s, 16383 - 20 + (r() % 40), sig);
    case 'fyl2x':
      return which === 0 ? ext(0, 16383 - 60 + (r() % 120), r() % 4 === 0 ? J | (big64(r) >> BigInt(40 + (r() % 24))) : sig) : ext(s, 16383 - 20 + (r() % 40), sig);
    case 'fpatan':
      return ext(s, 16383 - 40 + (r() % 80), sig);
    default:
      return ext(s, 16383 - 40 + (r() % 102), sig); // |x| < 2^62
  }
}

function memFor(r: Rand, kind: MemKind): Uint8Array {
  switch (kind) {
    case 'f32':
      return Uint8Array.from(le(BigInt(f32Value(r) >>> 0), 4));
    case 'f64':
      return Uint8Array.from(le(f64Value(r), 8));
    case 'f80':
      return extValue(r);
    case 'i16':
      return Uint8Array.from(le(intValue(r, 16), 2));
    case 'i32':
      return Uint8Array.from(le(intValue(r, 32), 4));
    case 'i64':
      return Uint8Array.from(le(intValue(r, 64), 8));
    case 'bcd': {
      const b = new Uint8Array(10);
      for (let k = 0; k < 9; k++) b[k] = (r() % 10 << 4) | r() % 10;
      b[9] = r() & 1 ? 0x80 : 0;
      return b;
    }
    case 'cw':
      return Uint8Array.from(le(BigInt(r() & 0xffff), 2));
    case 'env28':
      return image32(stateImage(r, false, randomRegs(r)), false);
    case 'env14':
      return image16(stateImage(r, false, randomRegs(r)), false);
    case 'save108':
      return image32(stateImage(r, false, randomRegs(r)), true);
    case 'save94':
      return image16(stateImage(r, false, randomRegs(r)), true);
    case 'fx':
      return fxImage(r, stateImage(r, false, randomRegs(r)));
    case 'out': {
      const b = new Uint8Array(16);
      for (let k = 0; k < 16; k++) b[k] = r() & 0xff;
      return b;
    }
    default:
      return new Uint8Array(4);
  }
}

/** `perForm` seeded cases for every form, in a fixed order. */
export function generateX87Cases(seed: number, perForm: number, forms: X87Form[] = x87Forms()): X87Case[] {
  const r = seededUint32(seed);
  const out: X87Case[] = [];
  for (const form of forms) {
    for (let n = 0; n < perForm; n++) {
      const regs = randomRegs(r);
      if (form.trans) {
        regs[0] = domainValue(r, form.trans, 0);
        regs[1] = domainValue(r, form.trans, 1);
      }
      const st = stateImage(r, true, regs);
      if (form.trans && r() % 8 !== 0) {
        // Mostly a computable case: ST(0), ST(1) full and (for the pushing forms) ST(7) empty.
        const top = (st.sw >>> 11) & 7;
        for (const [i, t] of [[0, -1], [1, -1], [7, 3]] as const) {
          const p = (top + i) & 7;
          st.tw = (st.tw & ~(3 << (2 * p))) | ((t < 0 ? tagOf(regs[i]!) : t) << (2 * p));
        }
      }
      const eflags = 0x202 | (r() & 0x8d5);
      out.push({ form, state: image32(st, true), mem: memFor(r, form.mem), eflags });
    }
  }
  return out;
}

export function hexOf(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
