/**
 * Builds the x87 oracle (x87-oracle.c, gcc -m32) on demand and runs a batch of cases through
 * one process, as native-oracle.ts does for the integer oracle.
 */
import { spawnSync } from 'node:child_process';
import { buildNativeOracle } from './build-native.js';
import { hexOf, type X87Case, type X87Outcome } from '../support/x87-cases.js';


export function buildX87Oracle(): { path: string } | { error: string } {
  return buildNativeOracle('x87-oracle');
}

function parse(line: string): X87Outcome {
  const f = line.split(' ');
  if (f.length !== 5) throw new Error(`bad x87 oracle line: ${line}`);
  return {
    state: Uint8Array.from(Buffer.from(f[0]!, 'hex')),
    mem: Uint8Array.from(Buffer.from(f[1]!, 'hex')),
    eax: Number.parseInt(f[2]!, 16) >>> 0,
    eflags: Number.parseInt(f[3]!, 16) >>> 0,
    signal: Number.parseInt(f[4]!, 10),
  };
}

/** Runs every case on the host processor, in order. */
export function runX87Native(binary: string, cases: readonly X87Case[]): X87Outcome[] {
  const parts: string[] = [];
  for (const c of cases) parts.push(`${hexOf(Uint8Array.from(c.form.bytes))} ${hexOf(c.state)} ${hexOf(c.mem)} ${c.eflags.toString(16)}\n`);
  const r = spawnSync(binary, [], { input: parts.join(''), encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`x87-oracle exited with ${r.status ?? r.signal}: ${r.stderr}`);
  const lines = r.stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== cases.length) throw new Error(`x87-oracle answered ${lines.length} of ${cases.length} cases: ${r.stderr}`);
  return lines.map(parse);
}
