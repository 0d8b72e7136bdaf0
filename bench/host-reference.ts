/**
 * The reference slice wall-clock figures are divided by: a fixed piece of host computation (a
 * sieve and a CRC-32 over typed arrays) timed on the main thread just before each trial. A ratio
 * of a scenario's wall time to it, measured in the same run, cancels most of the machine's speed
 * and its momentary load, so ratios from two runs can be compared where raw milliseconds cannot.
 * It runs no hvmsim code, so a slower simulator cannot hide by slowing the reference too.
 */

const SIEVE_SIZE = 1 << 21;
const CRC_BYTES = 1 << 22;

let crcTable: Int32Array | undefined;

function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function sieveCount(n: number): number {
  const composite = new Uint8Array(n);
  let count = 0;
  for (let i = 2; i < n; i++) {
    if (composite[i]) continue;
    count++;
    for (let j = i * i; j < n; j += i) composite[j] = 1;
  }
  return count;
}

/** The work itself; returns a checksum so the JIT cannot drop it. */
export function referenceWork(): number {
  const primes = sieveCount(SIEVE_SIZE);
  const bytes = new Uint8Array(CRC_BYTES);
  let x = 0x12345678;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return (crc32(bytes) ^ primes) >>> 0;
}

/** The expected checksum: a different value means the slice did different work. */
export const REFERENCE_CHECKSUM = referenceChecksum();

function referenceChecksum(): number {
  return referenceWork();
}

export interface ReferenceTiming {
  /** Wall time of the slice, ms. */
  wallMs: number;
  /** CPU time the process spent on it, ms (only the main thread runs then). */
  cpuMs: number;
}

/** Time one reference slice (the module's load already ran it once, so it is warm). */
export function measureReference(): ReferenceTiming {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const sum = referenceWork();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (sum !== REFERENCE_CHECKSUM) throw new Error(`host reference slice gave ${sum}, expected ${REFERENCE_CHECKSUM}`);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

export const REFERENCE_DESCRIPTION = `host slice: sieve of ${SIEVE_SIZE} and CRC-32 of ${CRC_BYTES} pseudo-random bytes on the main thread`;
