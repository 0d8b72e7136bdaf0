/**
 * Builds the native oracle (cpu-oracle.c, gcc -m32) on demand and runs a batch of cases
 * through one process: the cases go in on stdin, one result line per case comes back.
 */
import { spawnSync } from 'node:child_process';
import { buildNativeOracle } from './build-native.js';
import { hex, type CpuCase, type CpuOutcome } from '../support/cpu-cases.js';


export function buildOracle(): { path: string } | { error: string } {
  return buildNativeOracle('cpu-oracle');
}

function caseLine(c: CpuCase): string {
  let line = `C ${hex(c.code)}`;
  for (const r of c.regs) line += ' ' + (r >>> 0).toString(16);
  line += ' ' + (c.eflags >>> 0).toString(16);
  for (const p of c.patches) line += ` ${p.offset.toString(16)}:${hex(p.bytes)}`;
  return line + '\n';
}

function parseResult(line: string): CpuOutcome {
  const f = line.split(' ', 12);
  if (f[0] !== 'R' || f.length < 12) throw new Error(`bad oracle output line: ${line}`);
  // After "R vector eip eax..edi eflags" come the diff runs, each with its leading space (as dataDiff writes them).
  let pos = -1;
  for (let k = 0; k < 12 && (k === 0 || pos >= 0); k++) pos = line.indexOf(' ', pos + 1);
  return {
    vector: Number.parseInt(f[1]!, 10),
    eip: Number.parseInt(f[2]!, 16) >>> 0,
    regs: f.slice(3, 11).map((v) => Number.parseInt(v, 16) >>> 0),
    eflags: Number.parseInt(f[11]!, 16) >>> 0,
    diff: pos < 0 ? '' : line.slice(pos),
  };
}

/** Runs every case natively, in order. Throws with the oracle's stderr if it fails. */
export function runNative(binary: string, base: Uint8Array, cases: readonly CpuCase[]): CpuOutcome[] {
  const parts: string[] = [`D ${hex(base)}\n`];
  for (const c of cases) parts.push(caseLine(c));
  const input = parts.join('');
  const r = spawnSync(binary, [], { input, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`cpu-oracle exited with ${r.status ?? r.signal}: ${r.stderr}`);
  const lines = r.stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== cases.length) throw new Error(`cpu-oracle answered ${lines.length} of ${cases.length} cases: ${r.stderr}`);
  return lines.map(parseResult);
}
