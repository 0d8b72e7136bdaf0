/**
 * High-precision fixed-point reals for the x87 constants and transcendentals: a BigInt n
 * stands for n / 2^P at a precision P the caller chooses (well beyond the 64 bits a result
 * keeps, so one final rounding gives the correctly rounded value almost always). Series and
 * reductions are textbook (atanh for logarithms, Taylor for exp/sin/cos/atan with argument
 * halving); nothing here knows the register format.
 */

export function one(p: number): bigint {
  return 1n << BigInt(p);
}

export function mulF(a: bigint, b: bigint, p: number): bigint {
  return (a * b) >> BigInt(p);
}

export function divF(a: bigint, b: bigint, p: number): bigint {
  return (a << BigInt(p)) / b;
}

/** Square root of a fixed-point value. */
export function sqrtF(a: bigint, p: number): bigint {
  const n = a << BigInt(p);
  if (n < 2n) return n;
  let x = 1n << BigInt((n.toString(2).length + 1) >> 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** atanh(z) = z + z^3/3 + z^5/5 + …, for |z| ≤ 1/2. */
function atanhF(z: bigint, p: number): bigint {
  const z2 = mulF(z, z, p);
  let term = z;
  let sum = z;
  for (let k = 3n; term !== 0n; k += 2n) {
    term = mulF(term, z2, p);
    const t = term / k;
    if (t === 0n) break;
    sum += t;
  }
  return sum;
}

const cache = new Map<string, bigint>();

function cached(name: string, p: number, make: (q: number) => bigint): bigint {
  const key = `${name}:${p}`;
  let v = cache.get(key);
  if (v === undefined) {
    // Computed at a little more precision and truncated, so repeated use stays consistent.
    v = make(p + 16) >> 16n;
    cache.set(key, v);
  }
  return v;
}

export function ln2F(p: number): bigint {
  // ln 2 = 2 atanh(1/3).
  return cached('ln2', p, (q) => 2n * atanhF(one(q) / 3n, q));
}

/** π by Machin: 16 atan(1/5) − 4 atan(1/239). */
export function piF(p: number): bigint {
  return cached('pi', p, (q) => 16n * atanSeries(one(q) / 5n, q) - 4n * atanSeries(one(q) / 239n, q));
}

export function ln10F(p: number): bigint {
  // ln 10 = 3 ln 2 + ln(1.25) = 3 ln 2 + 2 atanh(1/9).
  return cached('ln10', p, (q) => 3n * ln2F(q) + 2n * atanhF(one(q) / 9n, q));
}

/** Natural logarithm of a positive fixed-point value. */
export function lnF(x: bigint, p: number): bigint {
  // x = m × 2^k with m in [1, 2); ln m = 2 atanh((m − 1)/(m + 1)).
  const k = x.toString(2).length - 1 - p;
  const m = k >= 0 ? x >> BigInt(k) : x << BigInt(-k);
  const z = divF(m - one(p), m + one(p), p);
  return BigInt(k) * ln2F(p) + 2n * atanhF(z, p);
}

/** ln(1 + x) for small |x| without cancellation: 2 atanh(x / (2 + x)). */
export function ln1pF(x: bigint, p: number): bigint {
  return 2n * atanhF(divF(x, 2n * one(p) + x, p), p);
}

/** e^x − 1 for |x| ≤ 1 (Taylor series; no cancellation for small x). */
export function expm1F(x: bigint, p: number): bigint {
  let term = x;
  let sum = x;
  for (let k = 2n; ; k++) {
    term = mulF(term, x, p) / k;
    if (term === 0n) break;
    sum += term;
  }
  return sum;
}

/** atan z = z − z^3/3 + z^5/5 − …, for |z| ≤ 1/4 or so. */
function atanSeries(z: bigint, p: number): bigint {
  const z2 = mulF(z, z, p);
  let term = z;
  let sum = z;
  for (let k = 3n, s = -1n; ; k += 2n, s = -s) {
    term = mulF(term, z2, p);
    const t = term / k;
    if (t === 0n) break;
    sum += s * t;
  }
  return sum;
}

/** atan of a fixed-point value in [0, 1]: halve the angle until small, then the series. */
export function atanF(z: bigint, p: number): bigint {
  let halvings = 0;
  let t = z;
  const limit = one(p) >> 3n;
  while (t > limit) {
    // tan(θ/2) = t / (1 + sqrt(1 + t²))
    t = divF(t, one(p) + sqrtF(one(p) + mulF(t, t, p), p), p);
    halvings++;
  }
  return atanSeries(t, p) << BigInt(halvings);
}

/** sin and cos of a fixed-point value in [0, π/4]. */
export function sinCosF(x: bigint, p: number): [bigint, bigint] {
  const x2 = mulF(x, x, p);
  let ts = x;
  let s = x;
  let tc = one(p);
  let c = tc;
  for (let k = 1n; ; k++) {
    ts = -mulF(ts, x2, p) / ((2n * k) * (2n * k + 1n));
    tc = -mulF(tc, x2, p) / ((2n * k - 1n) * (2n * k));
    if (ts === 0n && tc === 0n) break;
    s += ts;
    c += tc;
  }
  return [s, c];
}
