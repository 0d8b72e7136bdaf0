/**
 * How the x87 differential test compares an hvmsim outcome with the host's: the whole FNSAVE
 * image (control, status, tags, FOP, the eight registers) bit for bit, except the instruction
 * and data pointers (host addresses); the memory area (except stored pointers); AX and EFLAGS;
 * the signal. Transcendentals that differ are held to the documented accuracy instead: every
 * field equal except C1 and the result registers, which must be within one unit in the last
 * place of the host's (SDM Vol. 1 §8.3.10).
 */
import type { X87Case, X87Outcome } from './x87-cases.js';

/** FIP, FCS, FDP, FDS and the reserved word in a 32-bit FNSAVE image. */
const POINTER_BYTES = new Set([12, 13, 14, 15, 16, 17, 20, 21, 22, 23, 24, 25, 26, 27]);
const FOP_BYTES = [18, 19];

/**
 * An AMD host's FXSAVE/XSAVE keeps FOP (and FIP/FDP) only while an exception is pending (ES),
 * so a context switch between the case's instruction and its FNSAVE leaves FOP 0 (Linux's
 * fpu "fxsave_leak" note). A host FOP of 0 with ES clear is therefore not compared.
 */
function hostLostFop(host: X87Outcome): boolean {
  return host.state[18] === 0 && host.state[19] === 0 && (host.state[4]! & 0x80) === 0;
}

export type Verdict = 'exact' | 'within-ulp' | 'mismatch';

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function regKey(b: Uint8Array, at: number): { sign: number; key: bigint; finite: boolean } {
  let sig = 0n;
  for (let k = 7; k >= 0; k--) sig = (sig << 8n) | BigInt(b[at + k]!);
  const se = b[at + 8]! | (b[at + 9]! << 8);
  const exp = se & 0x7fff;
  const j = (sig >> 63n) & 1n;
  // Consecutive normal values differ by 1 in this key (exponent steps continue the significand).
  const key = exp === 0 ? sig : BigInt(exp - 1) * (1n << 63n) + (sig - (j << 63n)) + (1n << 63n);
  return { sign: se >>> 15, key, finite: exp !== 0x7fff && (exp === 0 || j === 1n) };
}

function memEqual(k: X87Case, a: Uint8Array, b: Uint8Array): boolean {
  const skip = new Set(k.form.pointerBytes ?? []);
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (skip.has(i)) continue;
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return false;
  }
  return true;
}

export function compareOutcome(k: X87Case, host: X87Outcome, sim: X87Outcome): Verdict {
  if (host.signal !== sim.signal) return 'mismatch';
  if (host.eax !== sim.eax || host.eflags !== sim.eflags || !memEqual(k, host.mem, sim.mem)) return 'mismatch';
  let same = true;
  const skipFop = hostLostFop(host);
  for (let i = 0; i < 108; i++) {
    if (POINTER_BYTES.has(i) || (skipFop && FOP_BYTES.includes(i))) continue;
    if (host.state[i] !== sim.state[i]) {
      same = false;
      break;
    }
  }
  if (same) return 'exact';
  if (!k.form.trans) return 'mismatch';
  // Accuracy rule: the environment equal but for C1 (bit 9 of the status word).
  for (let i = 0; i < 28; i++) {
    if (POINTER_BYTES.has(i) || (skipFop && FOP_BYTES.includes(i))) continue;
    const m = i === 5 ? 0xfd : 0xff;
    if ((host.state[i]! & m) !== (sim.state[i]! & m)) return 'mismatch';
  }
  for (let r = 0; r < 8; r++) {
    const at = 28 + 10 * r;
    const a = host.state.subarray(at, at + 10);
    const b = sim.state.subarray(at, at + 10);
    if (hex(a) === hex(b)) continue;
    const x = regKey(host.state, at);
    const y = regKey(sim.state, at);
    if (!x.finite || !y.finite || x.sign !== y.sign) return 'mismatch';
    const d = x.key > y.key ? x.key - y.key : y.key - x.key;
    if (d > 1n) return 'mismatch';
  }
  return 'within-ulp';
}

/** A readable account of one disagreement. */
export function describeMismatch(k: X87Case, host: X87Outcome, sim: X87Outcome): string {
  const env = (s: Uint8Array): string => {
    const v = new DataView(s.buffer, s.byteOffset);
    const regs: string[] = [];
    for (let r = 0; r < 8; r++) {
      const at = 28 + 10 * r;
      regs.push(`${hex(s.slice(at + 8, at + 10).reverse())}:${hex(s.slice(at, at + 8).reverse())}`);
    }
    return `cw ${v.getUint16(0, true).toString(16)} sw ${v.getUint16(4, true).toString(16)} tw ${v.getUint16(8, true).toString(16)} fop ${v.getUint16(18, true).toString(16)} st ${regs.join(' ')}`;
  };
  return [
    `${k.form.name} [${hex(Uint8Array.from(k.form.bytes))}] eflags ${k.eflags.toString(16)} mem ${hex(k.mem)}`,
    `  in:   ${env(k.state)}`,
    `  host: ${env(host.state)} mem ${hex(host.mem)} eax ${host.eax.toString(16)} fl ${host.eflags.toString(16)} sig ${host.signal}`,
    `  sim:  ${env(sim.state)} mem ${hex(sim.mem)} eax ${sim.eax.toString(16)} fl ${sim.eflags.toString(16)} sig ${sim.signal}`,
  ].join('\n');
}
