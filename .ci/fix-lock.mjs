#!/usr/bin/env node
// npm 11 on a registry that serves only this platform's binaries cannot record the other
// platforms' optional packages, and `npm ci` then refuses the lock ("Missing: … from lock file").
// Drop those names from the optionalDependencies their parents list in the lock.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
const dir = process.argv[2] ?? new URL('..', import.meta.url).pathname;
for (let round = 0; round < 5; round++) {
  let out = '';
  try { execFileSync('npm', ['ci', '--dry-run', '--ignore-scripts'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' }); console.log('npm ci accepts the lock'); break; }
  catch (e) { out = String(e.stderr) + String(e.stdout); }
  const missing = new Set([...out.matchAll(/Missing: (\S+?)@\S* from lock file/g)].map((m) => m[1]));
  if (missing.size === 0) { console.log(out.slice(0, 1500)); break; }
  const lock = JSON.parse(readFileSync(dir + '/package-lock.json', 'utf8'));
  let dropped = 0;
  for (const v of Object.values(lock.packages)) {
    if (!v.optionalDependencies) continue;
    for (const name of Object.keys(v.optionalDependencies)) if (missing.has(name)) { delete v.optionalDependencies[name]; dropped++; }
  }
  console.log('round', round, 'dropped', dropped, 'of', missing.size, 'missing names');
  writeFileSync(dir + '/package-lock.json', JSON.stringify(lock, null, 2) + '\n');
}
