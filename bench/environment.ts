/**
 * The machine and source a benchmark ran on, stored with its results so two result files can be
 * told apart (and timings from different machines are not mistaken for a regression).
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { REPO_ROOT } from './repo-paths.js';

export interface BenchEnvironment {
  node: string;
  v8: string;
  platform: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  /** 1-minute load average at the start: other busy processes distort the timings. */
  loadAverage: number;
  gitCommit: string;
  /** Uncommitted changes to tracked files when the run started. */
  gitDirty: boolean;
  date: string;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export function captureEnvironment(): BenchEnvironment {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${os.release()} ${process.arch}`,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
    gitCommit: git(['rev-parse', 'HEAD']) ?? 'unknown',
    gitDirty: (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
    date: new Date().toISOString(),
  };
}
