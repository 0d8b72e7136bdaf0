/**
 * A host-side model of compute.c: what the guest must print, worked out a different way
 * (zlib's CRC-32, a typed-array sort, trial division instead of Miller-Rabin, BigInt for
 * 64-bit arithmetic), so a wrong guest or a wrong CPU cannot agree with it by accident.
 * The sizes must match the #defines in compute.c (the guests-build test checks that they do).
 */
import { crc32 } from 'node:zlib';

export const COMPUTE_SIZES = {
  COMPUTE_SCALE: 5,
  SIEVE_LIMIT: 1_000_000,
  SIEVE_ROUNDS: 2 * 5,
  CRC_BUFFER_BYTES: 65536,
  CRC_ROUNDS: 24 * 5,
  MATRIX_N: 48,
  MATRIX_ROUNDS: 12 * 5,
  SORT_WORDS: 65536,
  SORT_ROUNDS: 1 * 5,
  DIVIDE_ITERATIONS: 500_000 * 5,
  MR_RANGE_START: 4_000_000_000,
  MR_RANGE_LENGTH: 10_000 * 5,
  LCG64_ITERATIONS: 10_000 * 5,
} as const;

const S = COMPUTE_SIZES;
const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

function xorshift32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** The exact serial output of compute.elf, and the results its checksum covers. */
export function computeExpectedSerial(): string {
  const results: number[] = [];
  const lines: string[] = ['compute: start'];

  // sieve
  {
    const composite = new Uint8Array(S.SIEVE_LIMIT);
    let count = 0;
    let largest = 0;
    let sum = 0;
    for (let i = 2; i < S.SIEVE_LIMIT; i++) {
      if (composite[i]) continue;
      count++;
      largest = i;
      sum = (sum + i) >>> 0;
      for (let j = i * i; j < S.SIEVE_LIMIT; j += i) composite[j] = 1;
    }
    lines.push(`sieve: primes below ${S.SIEVE_LIMIT}: ${count}, largest ${largest}, sum mod 2^32 ${hex8(sum)}`);
    results.push(count, sum);
  }

  // crc32
  {
    const check = crc32(Buffer.from('123456789'));
    const next = xorshift32(0x12345678);
    const buf = Buffer.alloc(S.CRC_BUFFER_BYTES);
    for (let i = 0; i < buf.length; i++) buf[i] = next() >>> 24;
    let crc = 0;
    for (let r = 0; r < S.CRC_ROUNDS; r++) crc = crc32(buf, crc);
    lines.push(`crc32: check ${hex8(check)}, ${S.CRC_ROUNDS} x ${S.CRC_BUFFER_BYTES} bytes ${hex8(crc)}`);
    results.push(check, crc);
  }

  // matmul
  {
    const n = S.MATRIX_N;
    const a = new Int32Array(n * n);
    const b = new Int32Array(n * n);
    const c = new Int32Array(n * n);
    const next = xorshift32(0x9e3779b9);
    for (let i = 0; i < n * n; i++) {
      a[i] = (next() & 0xffff) - 0x8000;
      b[i] = (next() & 0xffff) - 0x8000;
    }
    let checksum = 0;
    for (let r = 0; r < S.MATRIX_ROUNDS; r++) {
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let k = 0; k < n; k++) acc = (acc + Math.imul(a[i * n + k]!, b[k * n + j]!)) | 0;
          c[i * n + j] = acc;
        }
      for (let i = 0; i < n * n; i++) {
        a[i] = c[i]! >> 16;
        checksum = ((checksum << 5) | (checksum >>> 27)) ^ c[i]!;
      }
    }
    lines.push(`matmul: ${S.MATRIX_ROUNDS} rounds of ${n}x${n}, checksum ${hex8(checksum)}, c[0][0] ${c[0]}`);
    results.push(checksum >>> 0, c[0]! >>> 0);
  }

  // heapsort (the model sorts another way: the order is what must agree)
  {
    const next = xorshift32(0xc0ffee11);
    const data = new Uint32Array(S.SORT_WORDS);
    let weighted = 0;
    for (let r = 0; r < S.SORT_ROUNDS; r++) {
      for (let i = 0; i < data.length; i++) data[i] = next();
      data.sort();
      for (let i = 0; i < data.length; i++) weighted = (weighted + Math.imul(data[i]!, i + 1)) >>> 0;
    }
    lines.push(
      `heapsort: ${S.SORT_ROUNDS} rounds of ${S.SORT_WORDS} words, in order, min ${hex8(data[0]!)}, ` +
        `max ${hex8(data[data.length - 1]!)}, weighted ${hex8(weighted)}`,
    );
    results.push(weighted);
  }

  // divide (doubles are exact here: operands below 2^32, so truncated quotients are right)
  {
    const next = xorshift32(0x0badf00d);
    let accU = 0;
    let accS = 0;
    for (let i = 1; i <= S.DIVIDE_ITERATIONS; i++) {
      const x = next();
      const d = ((x >>> (i & 15)) | 1) >>> 0;
      const y = next();
      accU = (Math.imul(accU, 31) + Math.floor(y / d) + (y % d)) >>> 0;
      let sd = (x & 0xffff) - 0x8000;
      if (sd === 0 || sd === -1) sd = 7;
      const sy = y | 0;
      accS = (Math.imul(accS, 33) + Math.trunc(sy / sd) + (sy % sd)) >>> 0;
    }
    lines.push(`divide: ${S.DIVIDE_ITERATIONS} iterations, unsigned ${hex8(accU)}, signed ${hex8(accS)}`);
    results.push(accU, accS);
  }

  // mul64
  {
    const start = S.MR_RANGE_START;
    const end = start + S.MR_RANGE_LENGTH;
    const primes = countPrimesByTrialDivision(start, end);
    const MASK = (1n << 64n) - 1n;
    let x = 1n;
    let mix = 0n;
    let smix = 0n;
    for (let i = 0; i < S.LCG64_ITERATIONS; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) & MASK;
      const d = (x >> BigInt(i % 48)) | 1n;
      mix = (mix + x / d + (x % d)) & MASK;
      const sx = BigInt.asIntN(64, x);
      let sdv = (x >> 20n) - (x >> 40n);
      if (sdv === 0n) sdv = 3n;
      smix ^= BigInt.asUintN(64, sx / sdv + (sx % sdv));
    }
    const hi = (v: bigint): number => Number(v >> 32n);
    const lo = (v: bigint): number => Number(v & 0xffffffffn);
    lines.push(
      `mul64: primes in [${start}, ${end}): ${primes}, mix ${hex8(hi(mix))}${hex8(lo(mix))}, ` +
        `signed ${hex8(hi(smix))}${hex8(lo(smix))}`,
    );
    results.push(primes, lo(mix), hi(mix), lo(smix), hi(smix));
  }

  const packed = Buffer.alloc(results.length * 4);
  results.forEach((v, i) => packed.writeUInt32LE(v >>> 0, i * 4));
  lines.push(`compute: checksum ${hex8(crc32(packed))} over ${results.length} results`);
  return lines.map((l) => `${l}\n`).join('');
}

function countPrimesByTrialDivision(start: number, end: number): number {
  const limit = Math.ceil(Math.sqrt(end));
  const small: number[] = [];
  const composite = new Uint8Array(limit + 1);
  for (let i = 2; i <= limit; i++) {
    if (composite[i]) continue;
    small.push(i);
    for (let j = i * i; j <= limit; j += i) composite[j] = 1;
  }
  let count = 0;
  for (let n = start; n < end; n++) {
    let prime = n >= 2;
    for (const p of small) {
      if (p * p > n) break;
      if (n % p === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}
