/**
 * A V8 CPU profile of a piece of work, taken in-process through the inspector (the same data
 * `node --cpu-prof` writes), saved as a .cpuprofile file (Chrome DevTools opens it) and
 * summarised as the functions with the most self time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
}

export interface SelfTime {
  /** Function name (or a placeholder), file and 1-based line. */
  readonly name: string;
  readonly where: string;
  readonly percent: number;
}

/** Run `work` under the sampling profiler; write the profile to `file`; return the top self times. */
export async function profile<T>(
  file: string,
  work: () => T,
  top = 15,
  groups: readonly ProfileGroup[] = [],
): Promise<{ result: T; top: SelfTime[] }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 }); // µs
    await session.post('Profiler.start');
    const result = work();
    const { profile: p } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(p));
    return { result, top: selfTimes(p, groups).slice(0, top) };
  } finally {
    session.disconnect();
  }
}

/** Functions counted as one entry (e.g. every generated block function). */
export interface ProfileGroup {
  readonly match: RegExp;
  readonly name: string;
}

/** Self time per function (nodes merged by name and location, and by group), largest first. */
export function selfTimes(p: Profile, groups: readonly ProfileGroup[] = []): SelfTime[] {
  const hits = new Map<string, { name: string; where: string; n: number }>();
  let total = 0;
  for (const node of p.nodes) {
    const n = node.hitCount ?? 0;
    if (n === 0) continue;
    const f = node.callFrame;
    const group = groups.find((g) => g.match.test(f.functionName));
    const name = group?.name ?? (f.functionName || '(anonymous)');
    const file = f.url.replace(/^.*\/(dist|node_modules)\//, '$1/');
    const where = group ? '(generated)' : file ? `${file}:${f.lineNumber + 1}` : '';
    const key = `${name}@${where}`;
    const e = hits.get(key) ?? { name, where, n: 0 };
    e.n += n;
    hits.set(key, e);
    total += n;
  }
  return [...hits.values()]
    .sort((a, b) => b.n - a.n)
    .map((e) => ({ name: e.name, where: e.where, percent: total ? (100 * e.n) / total : 0 }));
}
