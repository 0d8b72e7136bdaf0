/**
 * Compiles a native oracle (a C file beside this one, gcc -m32) into test/native/build/ on
 * demand: rebuilt only when missing or older than its source. Returns the binary's path, or why
 * it cannot be built (the tests then skip with that message).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export function buildNativeOracle(name: string): { path: string } | { error: string } {
  const source = join(here, `${name}.c`);
  const binary = join(here, 'build', name);
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return { path: binary };
  mkdirSync(dirname(binary), { recursive: true });
  const r = spawnSync('gcc', ['-m32', '-O2', '-Wall', '-fno-pie', '-no-pie', '-o', binary, source], { encoding: 'utf8' });
  if (r.error) return { error: `gcc not runnable: ${r.error.message}` };
  if (r.status !== 0) return { error: `gcc -m32 failed (is gcc-multilib installed?):\n${r.stderr}` };
  return { path: binary };
}
