/**
 * x87 arithmetic on exact 80-bit values: add, subtract, multiply, divide, square root,
 * compare, round to integer, scale, partial remainders, extract. Each operation computes the
 * exact result with BigInt significands and rounds once (float80.ts roundPack). Operand
 * screening follows SDM Vol. 1 §4.9.2 and §8.5 (precedence: unsupported and SNaN operands,
 * then QNaNs, then invalid operations and zero divide, then denormal operands, then the
 * numeric exceptions of the result).
 *
 * Every operation reports through a RoundInfo: exception bits and whether the magnitude was
 * rounded up (C1). An operation whose unmasked IE, ZE or DE suppresses the result still
 * returns a value; the caller (exec-x87.ts) sees the unmasked bit and does not store it.
 */
import {
  bitLength,
  classify,
  Exc,
  extendedAt,
  F80,
  INDEFINITE,
  INF,
  isDenormalKind,
  isNaNKind,
  Kind,
  packExtended,
  pickNaN,
  quiet,
  Rc,
  roundPack,
  type RoundInfo,
  scaledExp,
  BIAS,
  EXP_MAX,
  SIG_J,
} from './float80.js';

/** Precision control (control word bits 8–9): 00 = 24, 10 = 53, 11 = 64 bits; 01 is reserved (64 on the host). */
export function precisionOf(cw: number): number {
  const pc = (cw >>> 8) & 3;
  return pc === 0 ? 24 : pc === 2 ? 53 : 64;
}

export function roundingOf(cw: number): Rc {
  return ((cw >>> 10) & 3) as Rc;
}

function zero(sign: number): F80 {
  return new F80(sign, 0, 0n);
}

function inf(sign: number): F80 {
  return sign ? INF.negate() : INF;
}

/** Round m × 2^e (+ sticky) into a register under the control word's precision and rounding. */
export function finish(sign: number, m: bigint, e: number, sticky: boolean, cw: number, info: RoundInfo, prec = precisionOf(cw)): F80 {
  if (m === 0n) return zero(sign);
  return packExtended(roundPack(sign, m, e, sticky, extendedAt(prec), roundingOf(cw), cw & 0x3f, info, true));
}

/**
 * Unsupported and NaN operands of a two-operand operation: the result, or null to go on.
 * Sets DE for denormal operands; with DE unmasked the operation stops there.
 */
function screen2(a: F80, ka: Kind, b: F80, kb: Kind, cw: number, info: RoundInfo): F80 | null {
  if (ka === Kind.UNSUPPORTED || kb === Kind.UNSUPPORTED) {
    info.exc |= Exc.IE;
    return INDEFINITE;
  }
  if (isNaNKind(ka) || isNaNKind(kb)) {
    if (ka === Kind.SNAN || kb === Kind.SNAN) info.exc |= Exc.IE;
    return pickNaN(a, ka, b, kb);
  }
  return null;
}

/** `den`: bit 0/1 = operand a/b was a denormal in memory (widened to a normal register value). */
function denormalCheck(ka: Kind, kb: Kind, cw: number, info: RoundInfo, den = 0): boolean {
  if (isDenormalKind(ka) || isDenormalKind(kb) || den !== 0) {
    info.exc |= Exc.DE;
    if (!(cw & Exc.DE)) return true;
  }
  return false;
}

function invalid(info: RoundInfo): F80 {
  info.exc |= Exc.IE;
  return INDEFINITE;
}

/** a + b, or a − b when `subtract`. */
export function add(a: F80, b: F80, subtract: boolean, cw: number, info: RoundInfo, den = 0): F80 {
  const ka = classify(a);
  const kb = classify(b);
  const s = screen2(a, ka, b, kb, cw, info);
  if (s) return s;
  const sb = b.sign ^ (subtract ? 1 : 0);
  if (ka === Kind.INFINITY || kb === Kind.INFINITY) {
    if (ka === Kind.INFINITY && kb === Kind.INFINITY && a.sign !== sb) return invalid(info);
    if (denormalCheck(ka, kb, cw, info, den)) return INDEFINITE;
    return ka === Kind.INFINITY ? a : inf(sb);
  }
  if (denormalCheck(ka, kb, cw, info, den)) return INDEFINITE;
  const rc = roundingOf(cw);
  if (ka === Kind.ZERO && kb === Kind.ZERO) return zero(a.sign === sb ? a.sign : rc === Rc.DOWN ? 1 : 0);
  if (ka === Kind.ZERO) return finish(sb, b.sig, scaledExp(b), false, cw, info);
  if (kb === Kind.ZERO) return finish(a.sign, a.sig, scaledExp(a), false, cw, info);
  let ea = scaledExp(a);
  let eb = scaledExp(b);
  let ma = a.sig;
  let mb = b.sig;
  // An operand wholly below 2^-8 of the other's last bit rounds like any tiny value of its
  // sign: stand in 2^(e - 8) for it rather than shifting by thousands of bits.
  if (eb + bitLength(mb) <= ea - 8) {
    mb = 1n;
    eb = ea - 8;
  } else if (ea + bitLength(ma) <= eb - 8) {
    ma = 1n;
    ea = eb - 8;
  }
  const e = Math.min(ea, eb);
  const A = ma << BigInt(ea - e);
  const B = mb << BigInt(eb - e);
  const sum = (a.sign ? -A : A) + (sb ? -B : B);
  if (sum === 0n) return zero(rc === Rc.DOWN ? 1 : 0);
  return sum < 0n ? finish(1, -sum, e, false, cw, info) : finish(0, sum, e, false, cw, info);
}

export function mul(a: F80, b: F80, cw: number, info: RoundInfo, den = 0): F80 {
  const ka = classify(a);
  const kb = classify(b);
  const s = screen2(a, ka, b, kb, cw, info);
  if (s) return s;
  const sign = a.sign ^ b.sign;
  if (ka === Kind.INFINITY || kb === Kind.INFINITY) {
    if (ka === Kind.ZERO || kb === Kind.ZERO) return invalid(info);
    if (denormalCheck(ka, kb, cw, info, den)) return INDEFINITE;
    return inf(sign);
  }
  if (denormalCheck(ka, kb, cw, info, den)) return INDEFINITE;
  if (ka === Kind.ZERO || kb === Kind.ZERO) return zero(sign);
  return finish(sign, a.sig * b.sig, scaledExp(a) + scaledExp(b), false, cw, info);
}

export function div(a: F80, b: F80, cw: number, info: RoundInfo, den = 0): F80 {
  const ka = classify(a);
  const kb = classify(b);
  const s = screen2(a, ka, b, kb, cw, info);
  if (s) return s;
  const sign = a.sign ^ b.sign;
  if (ka === Kind.INFINITY) {
    if (kb === Kind.INFINITY) return invalid(info);
    if (denormalCheck(ka, kb, cw, info, den)) return INDEFINITE;
    return inf(sign);
  }
  if (kb === Kind.INFINITY) {
    if (denormalCheck(ka, kb, cw, info, den)) return INDEFINITE;
    return zero(sign);
  }
  if (kb === Kind.ZERO) {
    // Zero divide outranks the denormal operand: a denormal dividend raises ZE alone (host).
    if (ka === Kind.ZERO) return invalid(info);
    info.exc |= Exc.ZE;
    return inf(sign);
  }
  if (denormalCheck(ka, kb, cw, info, den)) return INDEFINITE;
  if (ka === Kind.ZERO) return zero(sign);
  const shift = Math.max(0, 68 + bitLength(b.sig) - bitLength(a.sig));
  const num = a.sig << BigInt(shift);
  const q = num / b.sig;
  const r = num - q * b.sig;
  return finish(sign, q, scaledExp(a) - scaledExp(b) - shift, r !== 0n, cw, info);
}

/** Integer square root (floor) of a positive BigInt. */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLength(n) + 1) >> 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

export function sqrt(a: F80, cw: number, info: RoundInfo): F80 {
  const ka = classify(a);
  if (ka === Kind.UNSUPPORTED) return invalid(info);
  if (isNaNKind(ka)) {
    if (ka === Kind.SNAN) info.exc |= Exc.IE;
    return quiet(a);
  }
  if (ka === Kind.ZERO) return a;
  if (a.sign) return invalid(info);
  if (ka === Kind.INFINITY) return a;
  if (denormalCheck(ka, Kind.NORMAL, cw, info)) return INDEFINITE;
  let m = a.sig;
  let e = scaledExp(a);
  if (e & 1) {
    m <<= 1n;
    e -= 1;
  }
  // At least 2 × 68 bits under the root, so it has guard bits beyond any precision.
  const k = Math.max(0, 136 - bitLength(m)) & ~1;
  m <<= BigInt(k);
  e -= k;
  const r = isqrt(m);
  return finish(0, r, e / 2, r * r !== m, cw, info);
}

/** Compare results: the condition codes C3, C2, C0 (SDM Vol. 1 table 8-6) and EFLAGS ZF, PF, CF. */
export const enum Rel {
  GT = 0,
  LT = 1,
  EQ = 2,
  UN = 3,
}

/** Exact order of two finite or infinite, non-NaN values. */
function order(a: F80, ka: Kind, b: F80, kb: Kind): Rel {
  const za = ka === Kind.ZERO;
  const zb = kb === Kind.ZERO;
  if (za && zb) return Rel.EQ;
  if (za) return b.sign ? Rel.GT : Rel.LT;
  if (zb) return a.sign ? Rel.LT : Rel.GT;
  if (a.sign !== b.sign) return a.sign ? Rel.LT : Rel.GT;
  const mag = compareMagnitude(a, ka, b, kb);
  if (mag === 0) return Rel.EQ;
  return (mag > 0) !== (a.sign === 1) ? Rel.GT : Rel.LT;
}

/** |a| versus |b| for nonzero non-NaN values: -1, 0, 1. */
function compareMagnitude(a: F80, ka: Kind, b: F80, kb: Kind): number {
  const ia = ka === Kind.INFINITY;
  const ib = kb === Kind.INFINITY;
  if (ia || ib) return ia && ib ? 0 : ia ? 1 : -1;
  const ea = scaledExp(a);
  const eb = scaledExp(b);
  const la = ea + bitLength(a.sig);
  const lb = eb + bitLength(b.sig);
  if (la !== lb) return la > lb ? 1 : -1;
  const e = Math.min(ea, eb);
  const A = a.sig << BigInt(ea - e);
  const B = b.sig << BigInt(eb - e);
  return A === B ? 0 : A > B ? 1 : -1;
}

/**
 * FCOM/FUCOM/FCOMI/FUCOMI/FTST: unordered for NaNs and unsupported operands; IE for SNaNs
 * and unsupported encodings always, for QNaNs only in the ordered forms (`quietNaNsSignal`).
 */
export function compare(a: F80, b: F80, quietNaNsSignal: boolean, cw: number, info: RoundInfo, den = 0): Rel {
  const ka = classify(a);
  const kb = classify(b);
  if (ka === Kind.UNSUPPORTED || kb === Kind.UNSUPPORTED) {
    info.exc |= Exc.IE;
    return Rel.UN;
  }
  if (isNaNKind(ka) || isNaNKind(kb)) {
    if (quietNaNsSignal || ka === Kind.SNAN || kb === Kind.SNAN) info.exc |= Exc.IE;
    return Rel.UN;
  }
  // A denormal operand raises DE, and the comparison is still made (host: even when DE is unmasked).
  if (isDenormalKind(ka) || isDenormalKind(kb) || den !== 0) info.exc |= Exc.DE;
  return order(a, ka, b, kb);
}

/**
 * Round a finite nonzero m × 2^e to an integer under `rc`: the integer's magnitude, and
 * whether it was inexact and rounded up (in magnitude).
 */
export function roundToInteger(sign: number, m: bigint, e: number, rc: Rc): { q: bigint; inexact: boolean; up: boolean } {
  if (e >= 0) return { q: m << BigInt(e), inexact: false, up: false };
  const shift = BigInt(-e);
  if (-e > 200) {
    // Far below 1/2: the discarded part is nonzero and below half.
    const up = rc === Rc.UP ? sign === 0 : rc === Rc.DOWN ? sign === 1 : false;
    return { q: up ? 1n : 0n, inexact: true, up };
  }
  let q = m >> shift;
  const rem = m & ((1n << shift) - 1n);
  if (rem === 0n) return { q, inexact: false, up: false };
  const half = 1n << (shift - 1n);
  let up: boolean;
  switch (rc) {
    case Rc.NEAREST:
      up = rem > half || (rem === half && (q & 1n) === 1n);
      break;
    case Rc.DOWN:
      up = sign === 1;
      break;
    case Rc.UP:
      up = sign === 0;
      break;
    default:
      up = false;
  }
  if (up) q += 1n;
  return { q, inexact: true, up };
}

/** An exact integer (with sign) as a register value. */
export function fromInteger(sign: number, q: bigint): F80 {
  if (q === 0n) return zero(sign);
  const n = bitLength(q);
  return new F80(sign, BIAS + n - 1, q << BigInt(64 - n));
}

/** FRNDINT: round to an integer by the rounding control (precision control does not apply). */
export function roundInt(a: F80, cw: number, info: RoundInfo): F80 {
  const ka = classify(a);
  if (ka === Kind.UNSUPPORTED) return invalid(info);
  if (isNaNKind(ka)) {
    if (ka === Kind.SNAN) info.exc |= Exc.IE;
    return quiet(a);
  }
  if (ka === Kind.ZERO || ka === Kind.INFINITY) return a;
  if (denormalCheck(ka, Kind.NORMAL, cw, info)) return INDEFINITE;
  const r = roundToInteger(a.sign, a.sig, scaledExp(a), roundingOf(cw));
  if (r.inexact) {
    info.exc |= Exc.PE;
    if (r.up) info.up = 1;
  } else return a;
  return fromInteger(a.sign, r.q);
}

/** Truncate a finite value to an integer (FSCALE's scale), clamped far beyond any exponent range. */
function truncClamp(b: F80): number {
  const e = scaledExp(b);
  let n: number;
  if (e >= 0) n = 1 << 20;
  else if (-e >= 64) n = 0;
  else {
    const t = b.sig >> BigInt(-e);
    n = t > 1n << 20n ? 1 << 20 : Number(t);
  }
  return b.sign ? -n : n;
}

/** FSCALE: ST(0) × 2^trunc(ST(1)), rounded at full precision (PC does not apply). */
export function scale(a: F80, b: F80, cw: number, info: RoundInfo): F80 {
  const ka = classify(a);
  const kb = classify(b);
  const s = screen2(a, ka, b, kb, cw, info);
  if (s) return s;
  if (kb === Kind.INFINITY) {
    if (b.sign === 0) {
      if (ka === Kind.ZERO) return invalid(info);
      if (denormalCheck(ka, kb, cw, info)) return INDEFINITE;
      return inf(a.sign);
    }
    if (ka === Kind.INFINITY) return invalid(info);
    if (denormalCheck(ka, kb, cw, info)) return INDEFINITE;
    return zero(a.sign);
  }
  if (denormalCheck(ka, kb, cw, info)) return INDEFINITE;
  if (ka === Kind.ZERO || ka === Kind.INFINITY) return a;
  const n = kb === Kind.ZERO ? 0 : truncClamp(b);
  return finish(a.sign, a.sig, scaledExp(a) + n, false, cw, info, 64);
}

/** FXTRACT: [exponent, significand]; the significand is pushed last (ends in ST(0)). */
export function xtract(a: F80, cw: number, info: RoundInfo): [F80, F80] {
  const ka = classify(a);
  if (ka === Kind.UNSUPPORTED) return [invalid(info), INDEFINITE];
  if (isNaNKind(ka)) {
    if (ka === Kind.SNAN) info.exc |= Exc.IE;
    const q = quiet(a);
    return [q, q];
  }
  if (ka === Kind.ZERO) {
    info.exc |= Exc.ZE;
    return [inf(1), a];
  }
  if (ka === Kind.INFINITY) return [INF, a];
  if (denormalCheck(ka, Kind.NORMAL, cw, info)) return [INDEFINITE, INDEFINITE];
  const n = bitLength(a.sig);
  const lead = scaledExp(a) + n - 1;
  const sig = new F80(a.sign, BIAS, a.sig << BigInt(64 - n));
  const expo = lead === 0 ? zero(0) : fromInteger(lead < 0 ? 1 : 0, BigInt(Math.abs(lead)));
  return [expo, sig];
}

/** FPREM/FPREM1 result: the new ST(0), the quotient's low three bits and whether it was partial. */
export interface Remainder {
  value: F80;
  q: number;
  partial: boolean;
}

/**
 * FPREM (truncating quotient) and FPREM1 (IEEE: nearest-even quotient). When the exponents
 * differ by 64 or more, one step reduces the difference and sets C2 (SDM Vol. 2 FPREM: a
 * reduction by D − N with N implementation-dependent in 32..63). The host's N is
 * 32 + ((D − 32) mod 32), found by solving its partial remainders for N.
 */

export function prem(a: F80, b: F80, ieee: boolean, cw: number, info: RoundInfo): Remainder {
  const ka = classify(a);
  const kb = classify(b);
  const s = screen2(a, ka, b, kb, cw, info);
  if (s) return { value: s, q: 0, partial: false };
  if (ka === Kind.INFINITY || kb === Kind.ZERO) return { value: invalid(info), q: 0, partial: false };
  if (denormalCheck(ka, kb, cw, info)) return { value: INDEFINITE, q: 0, partial: false };
  if (ka === Kind.ZERO) return { value: a, q: 0, partial: false };
  const ea = scaledExp(a);
  if (kb === Kind.INFINITY) return { value: remainderValue(a.sign, a.sig, ea, cw, info), q: 0, partial: false };
  const eb = scaledExp(b);
  const la = ea + bitLength(a.sig) - 1;
  const lb = eb + bitLength(b.sig) - 1;
  const d = la - lb;
  const e = Math.min(ea, eb);
  const A = a.sig << BigInt(ea - e);
  const B = b.sig << BigInt(eb - e);
  if (d >= 64) {
    // Partial: divide by B × 2^(d − N), truncating.
    const n = 32 + ((d - 32) & 31);
    const k = BigInt(d - n);
    const Bk = B << k;
    const qq = A / Bk;
    const r = A - qq * Bk;
    return { value: remainderValue(a.sign, r, e, cw, info), q: 0, partial: true };
  }
  // |a| < |b| / 2: a itself, normalised (a pseudo-denormal comes back with exponent 1, as on the host).
  if (d < -1) return { value: remainderValue(a.sign, a.sig, ea, cw, info), q: 0, partial: false };
  let q = A / B;
  let r = A - q * B;
  let sign = a.sign;
  if (ieee) {
    const twice = r << 1n;
    if (twice > B || (twice === B && (q & 1n) === 1n)) {
      q += 1n;
      r = B - r;
      sign ^= 1;
    }
  }
  if (r === 0n) sign = a.sign;
  return { value: remainderValue(sign, r, e, cw, info), q: Number(q & 7n), partial: false };
}

/** A remainder is exact; a tiny one is still flagged as underflow when UE is unmasked. */
function remainderValue(sign: number, r: bigint, e: number, cw: number, info: RoundInfo): F80 {
  if (r === 0n) return zero(sign);
  return finish(sign, r, e, false, cw, info, 64);
}

/** Convert a JS double exactly (constants, tests). */
export function fromDouble(x: number): F80 {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x, true);
  const bits = dv.getBigUint64(0, true);
  const sign = Number(bits >> 63n);
  const ex = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  if (ex === 0x7ff) return new F80(sign, EXP_MAX, SIG_J | (frac << 11n));
  if (ex === 0) {
    if (frac === 0n) return zero(sign);
    const i = fromInteger(sign, frac);
    return new F80(sign, i.exp - 1074, i.sig);
  }
  return new F80(sign, ex - 1023 + BIAS, SIG_J | (frac << 11n));
}

