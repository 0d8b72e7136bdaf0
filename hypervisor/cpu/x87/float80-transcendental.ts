/**
 * FSIN, FCOS, FPTAN (and FSINCOS), FPATAN, F2XM1, FYL2X, FYL2XP1 on exact 80-bit values.
 * Intel documents these within 1 ulp of the exact result (SDM Vol. 1 §8.3.10, "Transcendental
 * Instruction Accuracy"); here each is computed in fixed point with at least 200 bits beyond
 * the result's own (fixed-point.ts) and rounded once under the rounding control, so the result
 * is the correctly rounded one (for the trigonometric functions: of the argument reduced as the
 * processor reduces it), which is within that bound and equals the host's whenever the host's
 * is exact. Special operands follow the tables of each instruction in SDM Vol. 2.
 * Precision control does not apply (64 bits). Arguments of FSIN/FCOS/FPTAN of magnitude 2^63
 * or more are out of range: C2 = 1 and ST(0) unchanged (`null`).
 */
import { bitLength, classify, Exc, F80, INDEFINITE, INF, isDenormalKind, isNaNKind, Kind, pickNaN, quiet, type RoundInfo, scaledExp, ZERO, ONE } from './float80.js';
import { finish, fromInteger } from './float80-arith.js';
import { atanF, divF, expm1F, ln1pF, ln2F, lnF, mulF, one, piF, sinCosF, sqrtF } from './fixed-point.js';

export const enum Trig {
  SIN = 0,
  COS = 1,
  TAN = 2,
}

/** Guard bits beyond the 64 a result keeps. */
const GUARD = 200;

function invalid(info: RoundInfo): F80 {
  info.exc |= Exc.IE;
  return INDEFINITE;
}

/** |a| in fixed point at precision p (exact when p ≥ −scaledExp(a)). */
function toFixed(a: F80, p: number): bigint {
  const sh = p + scaledExp(a);
  return sh >= 0 ? a.sig << BigInt(sh) : a.sig >> BigInt(-sh);
}

/** Leading-bit exponent of a nonzero finite value. */
function lead(a: F80): number {
  return scaledExp(a) + bitLength(a.sig) - 1;
}

/** A fixed-point magnitude with a sign, rounded into a register (inexact: irrational results). */
function fromFixed(sign: number, v: bigint, p: number, cw: number, info: RoundInfo): F80 {
  if (v === 0n) return new F80(sign, 0, 0n);
  return finish(sign, v, -p, true, cw, info, 64);
}

/** Unsupported and NaN operands of a one-operand instruction; DE for a denormal (true: stop). */
function screen1(a: F80, k: Kind, cw: number, info: RoundInfo): F80 | null | 'stop' {
  if (k === Kind.UNSUPPORTED) return invalid(info);
  if (isNaNKind(k)) {
    if (k === Kind.SNAN) info.exc |= Exc.IE;
    return quiet(a);
  }
  if (isDenormalKind(k)) {
    info.exc |= Exc.DE;
    if (!(cw & Exc.DE)) return 'stop';
  }
  return null;
}

export function trig(a: F80, which: Trig, cw: number, info: RoundInfo): F80 | null {
  const k = classify(a);
  if (k !== Kind.UNSUPPORTED && !isNaNKind(k) && k !== Kind.INFINITY && k !== Kind.ZERO && lead(a) >= 63) return null;
  const s = screen1(a, k, cw, info);
  if (s === 'stop') return INDEFINITE;
  if (s) return s;
  if (k === Kind.INFINITY) return invalid(info);
  if (k === Kind.ZERO) return which === Trig.COS ? ONE : a;
  const p = GUARD + 64 + Math.max(0, -lead(a));
  const x = toFixed(a, p);
  // The argument is reduced by the processor's own π: 66 significant bits, truncated (SDM
  // Vol. 1 §8.3.10: FSIN, FCOS, FSINCOS and FPTAN reduce with a 66-bit approximation of π; the
  // host agrees bit for bit with this reduction, not with an exact one). The reduction itself
  // is exact; the sine and cosine of the reduced argument are computed at full precision.
  const fracBits = BigInt(p - 64);
  const halfPi = ((piF(p) >> fracBits) << fracBits) >> 1n;
  const n = x / halfPi;
  let r = x - n * halfPi;
  const quarter = halfPi >> 1n;
  let sw = false;
  if (r > quarter) {
    r = halfPi - r;
    sw = true;
  }
  let [sn, cs] = sinCosF(r, p);
  if (sw) [sn, cs] = [cs, sn];
  const q = Number(n & 3n);
  // sin(x) and cos(x) from the quadrant.
  const sinV = q === 0 ? sn : q === 1 ? cs : q === 2 ? -sn : -cs;
  const cosV = q === 0 ? cs : q === 1 ? -sn : q === 2 ? -cs : sn;
  let v: bigint;
  let sign: number;
  if (which === Trig.COS) {
    v = cosV;
    sign = 0;
  } else if (which === Trig.SIN) {
    v = sinV;
    sign = a.sign;
  } else {
    v = divF(sinV, cosV, p);
    sign = a.sign;
  }
  if (v < 0n) {
    v = -v;
    sign ^= 1;
  }
  return fromFixed(sign, v, p, cw, info);
}

/** FPATAN: atan(y / x) in (−π, π], y = ST(1), x = ST(0) (SDM Vol. 2 FPATAN table). */
export function atan2(y: F80, x: F80, cw: number, info: RoundInfo): F80 {
  const ky = classify(y);
  const kx = classify(x);
  if (ky === Kind.UNSUPPORTED || kx === Kind.UNSUPPORTED) return invalid(info);
  if (isNaNKind(ky) || isNaNKind(kx)) {
    if (ky === Kind.SNAN || kx === Kind.SNAN) info.exc |= Exc.IE;
    return pickNaN(x, kx, y, ky);
  }
  if (isDenormalKind(ky) || isDenormalKind(kx)) {
    info.exc |= Exc.DE;
    if (!(cw & Exc.DE)) return INDEFINITE;
  }
  const p0 = GUARD + 64;
  const pi = piF(p0);
  const sign = y.sign;
  if (ky === Kind.ZERO) {
    if (x.sign === 0) return y;
    return fromFixed(sign, pi, p0, cw, info);
  }
  if (kx === Kind.ZERO) return fromFixed(sign, pi >> 1n, p0, cw, info);
  if (ky === Kind.INFINITY) {
    if (kx === Kind.INFINITY) return fromFixed(sign, x.sign ? (3n * pi) >> 2n : pi >> 2n, p0, cw, info);
    return fromFixed(sign, pi >> 1n, p0, cw, info);
  }
  if (kx === Kind.INFINITY) return x.sign ? fromFixed(sign, pi, p0, cw, info) : new F80(sign, 0, 0n);
  const d = lead(y) - lead(x);
  const p = p0 + Math.max(0, -d);
  let r: bigint;
  if (d < -1 || (d <= 0 && compareMag(y, x) <= 0)) {
    r = atanF(ratio(y, x, p), p);
  } else {
    r = (piF(p) >> 1n) - atanF(ratio(x, y, p), p);
  }
  if (x.sign) r = piF(p) - r;
  return fromFixed(sign, r, p, cw, info);
}

/** |a| / |b| in fixed point at precision p. */
function ratio(a: F80, b: F80, p: number): bigint {
  const sh = p + scaledExp(a) - scaledExp(b);
  return sh >= 0 ? (a.sig << BigInt(sh)) / b.sig : a.sig / (b.sig << BigInt(-sh));
}

function compareMag(a: F80, b: F80): number {
  const ea = scaledExp(a);
  const eb = scaledExp(b);
  const e = Math.min(ea, eb);
  const A = a.sig << BigInt(ea - e);
  const B = b.sig << BigInt(eb - e);
  return A === B ? 0 : A > B ? 1 : -1;
}

/** F2XM1: 2^x − 1 (documented for −1 ≤ x ≤ +1). */
export function f2xm1(a: F80, cw: number, info: RoundInfo): F80 {
  const k = classify(a);
  const s = screen1(a, k, cw, info);
  if (s === 'stop') return INDEFINITE;
  if (s) return s;
  if (k === Kind.ZERO) return a;
  if (k === Kind.INFINITY) return a.sign ? ONE.negate() : a;
  // Integers give exact results (2^n − 1).
  const e = scaledExp(a);
  if (e >= 0 || (a.sig & ((1n << BigInt(-e)) - 1n)) === 0n) {
    const n = e >= 0 ? a.sig << BigInt(e) : a.sig >> BigInt(-e);
    if (n <= 64n) {
      if (a.sign === 0) return fromInteger(0, (1n << n) - 1n);
      // 2^-n − 1 = −(2^n − 1) / 2^n
      const m = (1n << n) - 1n;
      return finish(1, m, -Number(n), false, cw, info, 64);
    }
  }
  if (lead(a) >= 0) return f2xm1Large(a, cw, info);
  const p = GUARD + 64 + Math.max(0, -lead(a));
  const x = toFixed(a, p);
  const y = mulF(x, ln2F(p), p);
  let v = expm1F(a.sign ? -y : y, p);
  let sign = 0;
  if (v < 0n) {
    v = -v;
    sign = 1;
  }
  return fromFixed(sign, v, p, cw, info);
}

/**
 * F2XM1 outside its documented domain (|x| ≥ 1; Intel leaves the result undefined): 2^n × 2^f − 1
 * with x = n + f, 0 ≤ f < 1, so that no argument makes the computation unbounded.
 */
function f2xm1Large(a: F80, cw: number, info: RoundInfo): F80 {
  const L = lead(a);
  if (L >= 15) {
    // |x| ≥ 32768: 2^x overflows, or 2^x − 1 is −1 to far beyond 64 bits.
    return a.sign ? finish(1, (1n << 200n) - 1n, -200, true, cw, info, 64) : finish(0, 1n, 20000, false, cw, info, 64);
  }
  const p = GUARD + 64;
  const x = toFixed(a, p);
  const signed = a.sign ? -x : x;
  const n = signed >> BigInt(p); // floor
  const frac = signed - (n << BigInt(p));
  const twoF = one(p) + expm1F(mulF(frac, ln2F(p), p), p); // 2^f in [1, 2)
  const nn = Number(n);
  // 2^x − 1 = twoF × 2^n − 1, exactly in fixed point at precision p + max(0, −n).
  const q = p + Math.max(0, -nn);
  const scaled = nn >= 0 ? twoF << BigInt(nn + q - p) : twoF << BigInt(q - p + nn);
  let v = scaled - one(q);
  let sign = 0;
  if (v < 0n) {
    v = -v;
    sign = 1;
  }
  return fromFixed(sign, v, q, cw, info);
}

/** FYL2X: ST(1) × log2(ST(0)) (SDM Vol. 2 FYL2X table); x = ST(0), y = ST(1). */
export function yl2x(x: F80, y: F80, cw: number, info: RoundInfo): F80 {
  const kx = classify(x);
  const ky = classify(y);
  if (kx === Kind.UNSUPPORTED || ky === Kind.UNSUPPORTED) return invalid(info);
  if (isNaNKind(kx) || isNaNKind(ky)) {
    if (kx === Kind.SNAN || ky === Kind.SNAN) info.exc |= Exc.IE;
    return pickNaN(x, kx, y, ky);
  }
  if (x.sign && kx !== Kind.ZERO) return invalid(info);
  if (isDenormalKind(kx) || isDenormalKind(ky)) {
    info.exc |= Exc.DE;
    if (!(cw & Exc.DE)) return INDEFINITE;
  }
  if (kx === Kind.ZERO) {
    if (ky === Kind.ZERO) return invalid(info);
    if (ky !== Kind.INFINITY) info.exc |= Exc.ZE;
    return y.sign ? INF : INF.negate();
  }
  const isOne = kx === Kind.NORMAL && x.exp === 16383 && x.sig === 1n << 63n;
  if (kx === Kind.INFINITY) {
    if (ky === Kind.ZERO) return invalid(info);
    return y.sign ? INF.negate() : INF;
  }
  if (ky === Kind.INFINITY) {
    if (isOne) return invalid(info);
    const below = lead(x) < 0;
    return (y.sign ^ (below ? 1 : 0)) ? INF.negate() : INF;
  }
  if (ky === Kind.ZERO) return new F80(y.sign ^ (lead(x) < 0 ? 1 : 0), 0, 0n);
  // x = 2^k × m, m in [sqrt(1/2), sqrt(2)) so that log2 m has no cancellation.
  const p = GUARD + 128;
  let kk = lead(x);
  let m = toFixed(x, p - kk);
  const sqrt2 = sqrtF(2n * one(p), p);
  if (m > sqrt2) {
    kk += 1;
    m >>= 1n;
  }
  if (m === one(p)) {
    // log2 x = kk exactly; the host still reports the result inexact (PE, not rounded up).
    const L = BigInt(Math.abs(kk));
    const r = finish(y.sign ^ (kk < 0 ? 1 : 0), y.sig * L, scaledExp(y), false, cw, info, 64);
    if (kk !== 0) info.exc |= Exc.PE;
    return r;
  }
  const L = BigInt(kk) * one(p) + divF(lnF(m, p), ln2F(p), p);
  const sign = y.sign ^ (L < 0n ? 1 : 0);
  const mag = L < 0n ? -L : L;
  return finish(sign, y.sig * mag, scaledExp(y) - p, true, cw, info, 64);
}

/** FYL2XP1: ST(1) × log2(ST(0) + 1), documented for |x| < 1 − √2/2. */
export function yl2xp1(x: F80, y: F80, cw: number, info: RoundInfo): F80 {
  const kx = classify(x);
  const ky = classify(y);
  if (kx === Kind.UNSUPPORTED || ky === Kind.UNSUPPORTED) return invalid(info);
  if (isNaNKind(kx) || isNaNKind(ky)) {
    if (kx === Kind.SNAN || ky === Kind.SNAN) info.exc |= Exc.IE;
    return pickNaN(x, kx, y, ky);
  }
  if (isDenormalKind(kx) || isDenormalKind(ky)) {
    info.exc |= Exc.DE;
    if (!(cw & Exc.DE)) return INDEFINITE;
  }
  if (kx === Kind.INFINITY) return invalid(info);
  if (kx === Kind.ZERO) {
    if (ky === Kind.INFINITY) return invalid(info);
    return new F80(x.sign ^ y.sign, 0, 0n);
  }
  if (ky === Kind.INFINITY) return (x.sign ^ y.sign) ? INF.negate() : INF;
  if (ky === Kind.ZERO) return new F80(x.sign ^ y.sign, 0, 0n);
  const p = GUARD + 64 + Math.max(0, -lead(x));
  const xf = toFixed(x, p);
  if (x.sign && xf >= one(p)) return invalid(info);
  // Inside the documented range |x| < 1 − √2/2 the atanh series converges fast; beyond it
  // (undefined by Intel) log2(1 + x) is taken directly, which is bounded for any x.
  const small = lead(x) < -2;
  const lnv = small ? ln1pF(x.sign ? -xf : xf, p) : lnF(x.sign ? one(p) - xf : one(p) + xf, p);
  const L = divF(lnv, ln2F(p), p);
  const sign = y.sign ^ (L < 0n ? 1 : 0);
  const mag = L < 0n ? -L : L;
  return finish(sign, y.sig * mag, scaledExp(y) - p, true, cw, info, 64);
}

