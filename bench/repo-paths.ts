/**
 * Where the benchmark's data lives in the repository (scenarios, cost models, the baseline, the
 * guest images), found the same way whether this module runs from source (vitest) or from dist/.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'guests'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('hvmsim repository root not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export const REPO_ROOT = findRepoRoot();
export const SCENARIOS_DIR = path.join(REPO_ROOT, 'bench', 'scenarios');
export const COST_MODELS_DIR = path.join(REPO_ROOT, 'bench', 'cost-models');
export const BASELINE_FILE = path.join(REPO_ROOT, 'bench', 'baseline.json');
export const GUEST_BIN_DIR = path.join(REPO_ROOT, 'guests', 'bin');

export function guestImagePath(guest: string): string {
  return path.join(GUEST_BIN_DIR, `${guest}.elf`);
}
