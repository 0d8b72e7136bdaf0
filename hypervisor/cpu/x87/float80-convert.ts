/**
 * Conversions between the 80-bit register format and the memory formats the x87 loads and
 * stores: 32/64-bit IEEE reals, 16/32/64-bit two's-complement integers and the 18-digit packed
 * BCD (SDM Vol. 1 §4.2, §4.7 and §8.2; FLD, FST, FILD, FIST, FBLD, FBSTP in Vol. 2).
 * Loads into a register are exact. Stores round once under the rounding control; precision
 * control does not apply to them.
 */
import {
  classify,
  DOUBLE,
  Exc,
  F80,
  isNaNKind,
  Kind,
  packIeee,
  roundPack,
  type Format,
  type RoundInfo,
  scaledExp,
  SINGLE,
  BIAS,
  EXP_MAX,
  SIG_J,
  SIG_QUIET,
} from './float80.js';
import { fromInteger, roundingOf, roundToInteger } from './float80-arith.js';

function ieeeFormat(bits: 32 | 64): Format {
  return bits === 32 ? SINGLE : DOUBLE;
}

/**
 * FLD m32/m64: the IEEE bits (as a BigInt) widened exactly. An SNaN raises IE and loads
 * quieted (unless `quietSNaN` is false: an arithmetic operand, whose NaN rules see it as an SNaN);
 * a denormal raises DE and loads normalised.
 */
export function fromIeee(raw: bigint, bits: 32 | 64, info: RoundInfo, quietSNaN = true): F80 {
  const fracBits = bits === 32 ? 23 : 52;
  const expBits = bits === 32 ? 8 : 11;
  const bias = bits === 32 ? 127 : 1023;
  const sign = Number(raw >> BigInt(bits - 1)) & 1;
  const ex = Number((raw >> BigInt(fracBits)) & ((1n << BigInt(expBits)) - 1n));
  const frac = raw & ((1n << BigInt(fracBits)) - 1n);
  const top = BigInt(63 - fracBits);
  if (ex === (1 << expBits) - 1) {
    if (frac === 0n) return new F80(sign, EXP_MAX, SIG_J);
    const sig = SIG_J | (frac << top);
    if (!quietSNaN) return new F80(sign, EXP_MAX, sig); // an arithmetic operand: screened there
    if (!(sig & SIG_QUIET)) info.exc |= Exc.IE;
    return new F80(sign, EXP_MAX, sig | SIG_QUIET);
  }
  if (ex === 0) {
    if (frac === 0n) return new F80(sign, 0, 0n);
    info.exc |= Exc.DE;
    const i = fromInteger(sign, frac);
    return new F80(sign, i.exp - (bias - 1) - fracBits, i.sig);
  }
  return new F80(sign, ex - bias + BIAS, SIG_J | (frac << top));
}

/** The IEEE indefinite (a negative QNaN with only the quiet bit set). */
export function ieeeIndefinite(bits: 32 | 64): bigint {
  return bits === 32 ? 0xffc00000n : 0xfff8000000000000n;
}

/**
 * FST m32/m64: round to the memory format. NaNs keep their sign and the top fraction bits
 * (quieted; IE for an SNaN); unsupported encodings store the indefinite with IE.
 */
export function toIeee(a: F80, bits: 32 | 64, cw: number, info: RoundInfo): bigint {
  const f = ieeeFormat(bits);
  const fracBits = BigInt(f.prec - 1);
  const expAll = (bits === 32 ? 0xffn : 0x7ffn) << fracBits;
  const signBit = BigInt(a.sign) << BigInt(bits - 1);
  const k = classify(a);
  switch (k) {
    case Kind.UNSUPPORTED:
      info.exc |= Exc.IE;
      return ieeeIndefinite(bits);
    case Kind.QNAN:
    case Kind.SNAN: {
      if (k === Kind.SNAN) info.exc |= Exc.IE;
      const frac = ((a.sig | SIG_QUIET) >> BigInt(63 - (f.prec - 1))) & ((1n << fracBits) - 1n);
      return signBit | expAll | frac;
    }
    case Kind.INFINITY:
      return signBit | expAll;
    case Kind.ZERO:
      return signBit;
    default:
      // A denormal register operand raises no DE on a store (host).
      return packIeee(roundPack(a.sign, a.sig, scaledExp(a), false, f, roundingOf(cw), cw & 0x3f, info, false), f);
  }
}

/** FILD: a signed integer, exactly. */
export function fromInt(v: bigint): F80 {
  return v < 0n ? fromInteger(1, -v) : fromInteger(0, v);
}

/** The integer indefinite for a width: the most negative value. */
export function intIndefinite(bits: number): bigint {
  return -(1n << BigInt(bits - 1));
}

/**
 * FIST/FISTP: round by the rounding control to a signed integer of `bits`. NaNs, infinities,
 * unsupported encodings and out-of-range values raise IE and give the integer indefinite.
 */
export function toInt(a: F80, bits: number, cw: number, info: RoundInfo): bigint {
  const k = classify(a);
  if (k === Kind.ZERO) return 0n;
  if (k === Kind.UNSUPPORTED || k === Kind.INFINITY || isNaNKind(k)) {
    info.exc |= Exc.IE;
    return intIndefinite(bits);
  }
  const r = roundToInteger(a.sign, a.sig, scaledExp(a), roundingOf(cw));
  const limit = 1n << BigInt(bits - 1);
  if (r.q > limit || (r.q === limit && a.sign === 0)) {
    info.exc |= Exc.IE;
    return intIndefinite(bits);
  }
  if (r.inexact) {
    info.exc |= Exc.PE;
    if (r.up) info.up = 1;
  }
  return a.sign ? -r.q : r.q;
}

/** FBLD: 18 packed BCD digits (9 bytes) and a sign byte, exactly. Invalid digits are read as their binary value. */
export function fromBcd(b: ArrayLike<number>): F80 {
  let v = 0n;
  for (let k = 8; k >= 0; k--) {
    const byte = b[k]! & 0xff;
    v = v * 100n + BigInt((byte >> 4) * 10 + (byte & 15));
  }
  const sign = (b[9]! & 0x80) !== 0 ? 1 : 0;
  return fromInteger(sign, v);
}

/** The packed-BCD indefinite: FF FF C0 in the top three bytes. */
export function bcdIndefinite(): number[] {
  return [0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff];
}

/** FBSTP: round by the rounding control to at most 18 decimal digits; IE and the BCD indefinite outside. */
export function toBcd(a: F80, cw: number, info: RoundInfo): number[] {
  const k = classify(a);
  if (k === Kind.UNSUPPORTED || k === Kind.INFINITY || isNaNKind(k)) {
    info.exc |= Exc.IE;
    return bcdIndefinite();
  }
  let q = 0n;
  if (k !== Kind.ZERO) {
    const r = roundToInteger(a.sign, a.sig, scaledExp(a), roundingOf(cw));
    if (r.q >= 10n ** 18n) {
      info.exc |= Exc.IE;
      return bcdIndefinite();
    }
    if (r.inexact) {
      info.exc |= Exc.PE;
      if (r.up) info.up = 1;
    }
    q = r.q;
  }
  const out: number[] = [];
  for (let n = 0; n < 9; n++) {
    const lo = Number(q % 10n);
    q /= 10n;
    const hi = Number(q % 10n);
    q /= 10n;
    out.push((hi << 4) | lo);
  }
  out.push(a.sign ? 0x80 : 0);
  return out;
}

