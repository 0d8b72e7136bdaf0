/**
 * The x87 80-bit extended-precision format, exactly: a sign, a 15-bit biased exponent and a
 * 64-bit significand with an explicit integer bit (J, bit 63) — Intel SDM Vol. 1 §4.2.2 and
 * table 8-3. A JavaScript double cannot hold it, so significands are BigInts (64 bits in a
 * register, wider while an operation is exact) and every result goes through one rounding
 * step, `roundPack`, which applies the precision control (24/53/64 bits), the rounding mode,
 * denormalisation, overflow and underflow exactly as the processor does (SDM Vol. 1 §4.9 and
 * §8.1.5; the host processor is the oracle: test/cpu-x87.test.ts).
 *
 * Values are never decoded to doubles. An `F80` is the raw register contents, so unnormals,
 * pseudo-denormals, pseudo-NaNs and pseudo-infinities survive loads and stores bit for bit;
 * `classify` says what the hardware makes of each encoding.
 */

/** Status-word exception bits (and the control-word mask bits at the same positions). */
export const enum Exc {
  IE = 0x01, // invalid operation
  DE = 0x02, // denormal operand
  ZE = 0x04, // zero divide
  OE = 0x08, // overflow
  UE = 0x10, // underflow
  PE = 0x20, // precision (inexact)
  SF = 0x40, // stack fault (with IE; C1 says overflow or underflow)
}

/** Rounding control (control word bits 10–11). */
export const enum Rc {
  NEAREST = 0,
  DOWN = 1,
  UP = 2,
  CHOP = 3,
}

export const BIAS = 16383;
export const EXP_MAX = 0x7fff;
const J = 1n << 63n;
const SIG_MASK = (1n << 64n) - 1n;
const QUIET = 1n << 62n;

/** Raw 80-bit register contents. */
export class F80 {
  constructor(
    readonly sign: number, // 0 or 1
    readonly exp: number, // biased, 0..0x7fff
    readonly sig: bigint, // 64 bits, the integer bit included
  ) {}

  static fromBytes(b: ArrayLike<number>, at = 0): F80 {
    let sig = 0n;
    for (let k = 7; k >= 0; k--) sig = (sig << 8n) | BigInt(b[at + k]! & 0xff);
    const se = (b[at + 8]! & 0xff) | ((b[at + 9]! & 0xff) << 8);
    return new F80(se >>> 15, se & 0x7fff, sig);
  }

  toBytes(out: Uint8Array | number[], at = 0): void {
    let s = this.sig;
    for (let k = 0; k < 8; k++) {
      out[at + k] = Number(s & 0xffn);
      s >>= 8n;
    }
    const se = (this.sign << 15) | this.exp;
    out[at + 8] = se & 0xff;
    out[at + 9] = se >>> 8;
  }

  /** Sign and exponent as the 16-bit word the format stores above the significand. */
  get signExp(): number {
    return (this.sign << 15) | this.exp;
  }

  negate(): F80 {
    return new F80(this.sign ^ 1, this.exp, this.sig);
  }

  abs(): F80 {
    return this.sign === 0 ? this : new F80(0, this.exp, this.sig);
  }

  withSign(sign: number): F80 {
    return sign === this.sign ? this : new F80(sign, this.exp, this.sig);
  }

  equals(o: F80): boolean {
    return this.sign === o.sign && this.exp === o.exp && this.sig === o.sig;
  }

  toString(): string {
    return `${this.signExp.toString(16).padStart(4, '0')}:${this.sig.toString(16).padStart(16, '0')}`;
  }
}

export const ZERO = new F80(0, 0, 0n);
export const NEG_ZERO = new F80(1, 0, 0n);
export const INF = new F80(0, EXP_MAX, J);
export const NEG_INF = new F80(1, EXP_MAX, J);
export const ONE = new F80(0, BIAS, J);
/** The QNaN indefinite: the masked response to an invalid operation (SDM Vol. 1 table 4-3). */
export const INDEFINITE = new F80(1, EXP_MAX, 0xc000000000000000n);

/** What the processor makes of an encoding (SDM Vol. 1 §8.2.2, table 8-3). */
export const enum Kind {
  ZERO = 0,
  NORMAL = 1,
  DENORMAL = 2, // exponent 0, J = 0, significand nonzero
  PSEUDO_DENORMAL = 3, // exponent 0, J = 1: read as a denormal operand with exponent 1
  INFINITY = 4,
  QNAN = 5,
  SNAN = 6,
  UNSUPPORTED = 7, // unnormal, pseudo-NaN, pseudo-infinity: invalid as operands
}

export function classify(x: F80): Kind {
  const j = (x.sig & J) !== 0n;
  if (x.exp === 0) return x.sig === 0n ? Kind.ZERO : j ? Kind.PSEUDO_DENORMAL : Kind.DENORMAL;
  if (!j) return Kind.UNSUPPORTED;
  if (x.exp !== EXP_MAX) return Kind.NORMAL;
  const frac = x.sig & ~J;
  if (frac === 0n) return Kind.INFINITY;
  return (frac & QUIET) !== 0n ? Kind.QNAN : Kind.SNAN;
}

export function isNaNKind(k: Kind): boolean {
  return k === Kind.QNAN || k === Kind.SNAN;
}

export function isDenormalKind(k: Kind): boolean {
  return k === Kind.DENORMAL || k === Kind.PSEUDO_DENORMAL;
}

/** A finite nonzero value as m × 2^e (exact). Exponent 0 reads as 1 (denormals, pseudo-denormals). */
export function scaledExp(x: F80): number {
  return (x.exp === 0 ? 1 : x.exp) - BIAS - 63;
}

export function quiet(x: F80): F80 {
  return new F80(x.sign, x.exp, x.sig | QUIET);
}

/**
 * The NaN an operation on `a` and `b` returns (at least one is a NaN; both valid x87 kinds):
 * a QNaN beats an SNaN; between two of the same kind the larger significand wins, and on a tie
 * the positive one (SDM Vol. 1 table 4-7; ties checked on the host). The result is quiet.
 */
export function pickNaN(a: F80, ka: Kind, b: F80, kb: Kind): F80 {
  const an = isNaNKind(ka);
  const bn = isNaNKind(kb);
  if (!bn) return quiet(a);
  if (!an) return quiet(b);
  if (ka === Kind.QNAN && kb === Kind.SNAN) return a;
  if (kb === Kind.QNAN && ka === Kind.SNAN) return b;
  const sa = a.sig | QUIET;
  const sb = b.sig | QUIET;
  if (sa > sb) return quiet(a);
  if (sb > sa) return quiet(b);
  return quiet(a.sign <= b.sign ? a : b);
}

const TWO32 = 1n << 32n;
const TWO64 = 1n << 64n;

/** Bits in a nonnegative BigInt (0 for 0): 64 bits at a time, then Math.clz32 (the profile's hot spot). */
export function bitLength(m: bigint): number {
  let n = 0;
  while (m >= TWO64) {
    m >>= 64n;
    n += 64;
  }
  if (m >= TWO32) return n + 64 - Math.clz32(Number(m >> 32n));
  return n + 32 - Math.clz32(Number(m));
}

/** A destination format: significand precision, exponent range, how results are packed. */
export interface Format {
  /** Bits of significand (the integer bit included). */
  readonly prec: number;
  /** Unbiased exponent of the smallest normal and of the largest finite value. */
  readonly emin: number;
  readonly emax: number;
  readonly bias: number;
  /** Significand bits of a denormal below 2^emin (the format's own precision, not PC's). */
  readonly fieldPrec: number;
}

export const EXTENDED: Format = { prec: 64, emin: -16382, emax: 16383, bias: BIAS, fieldPrec: 64 };
export const DOUBLE: Format = { prec: 53, emin: -1022, emax: 1023, bias: 1023, fieldPrec: 53 };
export const SINGLE: Format = { prec: 24, emin: -126, emax: 127, bias: 127, fieldPrec: 24 };

/** The extended format at a precision-control setting (exponent range unchanged: SDM Vol. 1 §8.1.5.2). */
const EXTENDED_AT: Record<number, Format> = {
  24: { ...EXTENDED, prec: 24 },
  53: { ...EXTENDED, prec: 53 },
  64: EXTENDED,
};

export function extendedAt(prec: number): Format {
  return EXTENDED_AT[prec]!;
}

/**
 * What one rounding did, for the caller to merge into the status word: exception bits and
 * whether the magnitude was rounded up (C1 when PE is set).
 */
export class RoundInfo {
  exc = 0;
  up = 0;

  reset(): this {
    this.exc = 0;
    this.up = 0;
    return this;
  }
}

/**
 * A rounded result, unpacked: sign, the unbiased exponent of the leading bit and the
 * significand as an integer of `prec` bits (or fewer for a denormal), with `lsb` the exponent
 * of its lowest bit. `overflow`/`tiny` say where it landed. Packing is per format.
 */
interface Rounded {
  q: bigint;
  lsb: number;
  inexact: boolean;
}

/**
 * Round m × 2^e (plus a sticky fraction below 2^e when `sticky`) to `prec` bits whose lowest
 * bit is at or above `minLsb`. Returns the rounded integer and its lsb exponent, and sets
 * `info.exc` PE and `info.up`.
 */
function roundTo(sign: number, m: bigint, e: number, sticky: boolean, prec: number, minLsb: number, rc: Rc, info: RoundInfo): Rounded {
  const n = bitLength(m);
  let lsb = e + n - prec;
  if (lsb < minLsb) lsb = minLsb;
  let q: bigint;
  let inexact: boolean;
  let above: number; // compare the discarded part with half an lsb: -1 below, 0 equal, 1 above
  if (lsb <= e) {
    q = m << BigInt(e - lsb);
    inexact = sticky;
    above = -1;
  } else {
    const shift = BigInt(lsb - e);
    q = m >> shift;
    const rem = m & ((1n << shift) - 1n);
    const half = 1n << (shift - 1n);
    inexact = rem !== 0n || sticky;
    above = rem > half ? 1 : rem < half ? -1 : sticky ? 1 : 0;
  }
  if (inexact) {
    info.exc |= Exc.PE;
    let up = false;
    switch (rc) {
      case Rc.NEAREST:
        up = above > 0 || (above === 0 && (q & 1n) === 1n);
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
    if (up) {
      q += 1n;
      info.up = 1;
      if (bitLength(q) > prec) {
        q >>= 1n;
        lsb += 1;
      }
    }
  }
  return { q, lsb, inexact };
}

const scratch = new RoundInfo();

function isTinyAfterRounding(sign: number, m: bigint, e: number, sticky: boolean, f: Format, rc: Rc): boolean {
  const r = roundTo(sign, m, e, sticky, f.prec, -Infinity, rc, scratch.reset());
  return r.lsb + bitLength(r.q) - 1 < f.emin;
}

/** The largest finite value at `prec` bits of a format, with `sign`. */
function maxFinite(sign: number, f: Format): PackedParts {
  const q = (1n << BigInt(f.prec)) - 1n;
  return { sign, exp: f.emax + f.bias, q, lsb: f.emax - f.prec + 1, special: 0 };
}

/** A packed result before its format-specific layout: biased exponent and integer significand. */
export interface PackedParts {
  sign: number;
  /** Biased exponent (0 for denormals and zero). */
  exp: number;
  /** Significand integer with lsb exponent `lsb`; `special` 1 = infinity. */
  q: bigint;
  lsb: number;
  special: number;
}

/**
 * The one rounding step. m × 2^e (+ sticky) with m > 0 becomes a value of format `f` under
 * rounding mode `rc`; `info` collects PE, OE, UE and the round-up bit.
 *
 * Overflow and underflow follow SDM Vol. 1 §4.9.1.4–5: masked, overflow gives infinity or the
 * largest finite value by rounding direction and underflow a denormal (UE only when also
 * inexact); unmasked (`wrap`, register destinations only) the result keeps full precision and
 * its exponent is wrapped by 24576 (3 × 2^13). Tininess is detected after rounding, on the
 * unbounded-exponent result at the destination's precision (checked against the host).
 */
export function roundPack(
  sign: number,
  m: bigint,
  e: number,
  sticky: boolean,
  f: Format,
  rc: Rc,
  masks: number,
  info: RoundInfo,
  wrap: boolean,
): PackedParts {
  const lead = e + bitLength(m) - 1;
  // A tiny result keeps the bits a value at 2^emin would keep at this precision: the precision
  // control counts from the format's integer-bit position, not from the denormal's leading bit.
  const denormLsb = f.emin - f.prec + 1;
  if (lead < f.emin && isTinyAfterRounding(sign, m, e, sticky, f, rc)) {
    // Tiny: below 2^emin even after rounding at the precision with an unbounded exponent
    // (the x87 detects tininess after rounding: a result that rounds up to 2^emin is normal
    // and raises no UE, on the host). Unmasked: UE on tininess alone; a register gets the result at full
    // precision with its exponent wrapped up, a memory destination is left alone (the caller).
    if (!(masks & Exc.UE)) {
      info.exc |= Exc.UE;
      // A memory destination is left alone and reports UE alone (host).
      if (!wrap) return { sign, exp: 0, q: 0n, lsb: 0, special: 0 };
      const r = roundTo(sign, m, e, sticky, f.prec, -Infinity, rc, info);
      const rlead = r.lsb + bitLength(r.q) - 1;
      const exp = rlead + f.bias + 24576;
      if (exp >= 1) return { sign, exp, q: r.q, lsb: r.lsb, special: 0 };
      // Too tiny even wrapped (FSCALE): a signed zero, inexact, never rounded up (host).
      info.exc |= Exc.PE;
      info.up = 0;
      return { sign, exp: 0, q: 0n, lsb: 0, special: 0 };
    }
    const r = roundTo(sign, m, e, sticky, f.prec, denormLsb, rc, info);
    if (r.inexact) info.exc |= Exc.UE;
    const rlead = r.lsb + bitLength(r.q) - 1;
    if (r.q === 0n) return { sign, exp: 0, q: 0n, lsb: denormLsb, special: 0 };
    if (rlead >= f.emin) return { sign, exp: rlead + f.bias, q: r.q, lsb: r.lsb, special: 0 };
    return { sign, exp: 0, q: r.q, lsb: r.lsb, special: 0 };
  }
  const r = roundTo(sign, m, e, sticky, f.prec, -Infinity, rc, info);
  const rlead = r.lsb + bitLength(r.q) - 1;
  if (rlead > f.emax) {
    if ((masks & Exc.OE) === 0) {
      info.exc |= Exc.OE;
      if (!wrap) {
        // A memory destination is left alone and reports OE alone (host).
        info.exc &= ~Exc.PE;
        info.up = 0;
        return { sign, exp: 0, q: 0n, lsb: 0, special: 0 };
      }
      const exp = rlead + f.bias - 24576;
      if (exp <= 0x7ffe) return { sign, exp, q: r.q, lsb: r.lsb, special: 0 };
      // Too large even wrapped (FSCALE): infinity whatever the rounding, rounded up (host).
      info.exc |= Exc.PE;
      info.up = 1;
      return { sign, exp: EXP_MAX, q: 0n, lsb: 0, special: 1 };
    }
    info.exc |= Exc.OE | Exc.PE;
    const toInf = rc === Rc.NEAREST || (rc === Rc.UP && sign === 0) || (rc === Rc.DOWN && sign === 1);
    info.up = toInf ? 1 : 0;
    if (toInf) return { sign, exp: f.emax + f.bias + 1, q: 0n, lsb: 0, special: 1 };
    return maxFinite(sign, f);
  }
  return { sign, exp: rlead + f.bias, q: r.q, lsb: r.lsb, special: 0 };
}

/** Lay out rounded parts as an 80-bit register value. */
export function packExtended(p: PackedParts): F80 {
  if (p.special) return new F80(p.sign, EXP_MAX, J);
  if (p.q === 0n) return new F80(p.sign, 0, 0n);
  // Normal (or wrapped) results have the integer bit at bit 63; denormals sit at 2^(emin - 63).
  const sig = p.exp === 0 ? p.q << BigInt(p.lsb - (1 - BIAS - 63)) : p.q << BigInt(64 - bitLength(p.q));
  return new F80(p.sign, p.exp & 0x7fff, sig & SIG_MASK);
}

/** Lay out rounded parts as a 32- or 64-bit IEEE value's bits (BigInt). */
export function packIeee(p: PackedParts, f: Format): bigint {
  const fracBits = BigInt(f.prec - 1);
  const expBits = f.prec === 24 ? 8n : 11n;
  const signBit = BigInt(p.sign) << (fracBits + expBits);
  if (p.special) return signBit | (((1n << expBits) - 1n) << fracBits);
  if (p.q === 0n) return signBit;
  const sig = p.exp === 0 ? p.q << BigInt(p.lsb - (f.emin - f.prec + 1)) : p.q << BigInt(f.prec - bitLength(p.q));
  return signBit | (BigInt(p.exp) << fracBits) | (sig & ((1n << fracBits) - 1n));
}

/** The integer bit and mask constants, for the operations' modules. */
export const SIG_J = J;
export const SIG_QUIET = QUIET;
export const SIG_ALL = SIG_MASK;
