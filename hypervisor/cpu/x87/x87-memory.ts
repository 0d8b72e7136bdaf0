/**
 * How x87 instructions reach guest memory: only through Cpu.rd8/rd16/rd32/wr8/wr16/wr32 at
 * linear addresses (the one access path, docs/architecture.md §3), with every store wider than
 * four bytes probed first (Cpu.probeWrite) so a fault comes before any part is written.
 */
import type { Cpu } from '../cpu.js';

export function rd64(c: Cpu, lin: number): bigint {
  const lo = c.rd32(lin) >>> 0;
  const hi = c.rd32((lin + 4) | 0) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

export function wr64(c: Cpu, lin: number, v: bigint): void {
  c.probeWrite(lin, 8);
  c.wr32(lin, Number(v & 0xffffffffn));
  c.wr32((lin + 4) | 0, Number((v >> 32n) & 0xffffffffn));
}

/** Read `n` bytes (10 for m80 and BCD). */
export function rdBytes(c: Cpu, lin: number, n: number): number[] {
  const out: number[] = [];
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const v = c.rd32((lin + k) | 0);
    out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  }
  if (k + 2 <= n) {
    const v = c.rd16((lin + k) | 0);
    out.push(v & 0xff, v >>> 8);
    k += 2;
  }
  if (k < n) out.push(c.rd8((lin + k) | 0));
  return out;
}

/** Write bytes (already probed by the caller when more than four). */
export function wrBytes(c: Cpu, lin: number, b: ArrayLike<number>): void {
  const n = b.length;
  let k = 0;
  for (; k + 4 <= n; k += 4) c.wr32((lin + k) | 0, b[k]! | (b[k + 1]! << 8) | (b[k + 2]! << 16) | (b[k + 3]! << 24));
  if (k + 2 <= n) {
    c.wr16((lin + k) | 0, b[k]! | (b[k + 1]! << 8));
    k += 2;
  }
  if (k < n) c.wr8((lin + k) | 0, b[k]!);
}
