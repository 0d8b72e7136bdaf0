/**
 * `npm run bench:fuzz [-- --cases N --seed S ...]`: the random-code fuzz (random-code-fuzz-run.ts)
 * over many cases, with counts by outcome. Exits 0 when there was no host crash and every crash
 * report was one readable paragraph, 1 otherwise, 2 on a bad option.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_FUZZ_OPTIONS, runFuzz, type FuzzOptions } from './random-code-fuzz-run.js';
import { caseSeed, randomCodeGuest } from './random-code-guest.js';

const d = DEFAULT_FUZZ_OPTIONS;
const USAGE = `usage: npm run bench:fuzz -- [options]
  --cases N     cases to run (default ${d.cases})
  --seed S      run seed; case I's guest depends on S and I only (default ${d.seed})
  --first I     index of the first case, to rerun one: --first I --cases 1 (default ${d.first})
  --bytes B     random code bytes per guest (default ${d.bytes})
  --limit-ms T  wall-clock limit per case; a case still running then is a timeout (default ${d.limitMs})
  --jobs J      cases run at once, each a device-model and a vCPU thread (default ${d.jobs})
  --save DIR    write the guest ELF of every case with a problem (and the first of each outcome) to DIR
  --help        this text`;

const INTEGER_OPTIONS = { cases: [1, 10_000_000], seed: [0, 0xffffffff], first: [0, 0xffffffff], bytes: [1, 1 << 20], 'limit-ms': [1, 600_000], jobs: [1, 64] } as const;

function parse(argv: string[]): { opts: FuzzOptions; save?: string } | string {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(Object.keys(INTEGER_OPTIONS).map((k) => [k, { type: 'string' as const }])),
        save: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    return (e as Error).message;
  }
  if (values.help) return '';
  const opts: FuzzOptions = { ...d };
  for (const [name, [min, max]] of Object.entries(INTEGER_OPTIONS)) {
    const raw = values[name];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n < min || n > max) return `--${name} must be an integer in ${min}..${max}, got ${String(raw)}`;
    const key = name === 'limit-ms' ? 'limitMs' : (name as Exclude<keyof FuzzOptions, 'limitMs' | 'memoryMiB'>);
    opts[key] = n;
  }
  return { opts, save: values.save as string | undefined };
}

async function main(): Promise<number> {
  const parsed = parse(process.argv.slice(2));
  if (typeof parsed === 'string') {
    if (parsed) process.stderr.write(`bench:fuzz: ${parsed}\n`);
    (parsed ? process.stderr : process.stdout).write(USAGE + '\n');
    return parsed ? 2 : 0;
  }
  const { opts, save } = parsed;
  process.stdout.write(
    `random-code fuzz: ${opts.cases} cases from ${opts.first}, seed ${opts.seed}, ${opts.bytes} random bytes each, ${opts.limitMs} ms limit, ${opts.jobs} at a time\n`,
  );
  const saveCase = (index: number, why: string): void => {
    if (!save) return;
    mkdirSync(save, { recursive: true });
    const file = path.join(save, `fuzz-${opts.seed}-${index}.elf`);
    writeFileSync(file, randomCodeGuest(caseSeed(opts.seed, index), opts.bytes));
    process.stdout.write(`  saved ${file} (${why})\n`);
  };
  const seen = new Set<string>();
  const tally = await runFuzz(opts, (r, done) => {
    if (r.problem) {
      process.stdout.write(`  case ${r.index}: ${r.kind}: ${r.problem}\n`);
      saveCase(r.index, r.kind);
    } else if (!seen.has(r.kind)) saveCase(r.index, r.kind);
    seen.add(r.kind);
    if (process.stdout.isTTY && done % 100 === 0) process.stdout.write(`  ${done}/${opts.cases}\r`);
  });
  const rows = [...tally.byKind.entries()].sort((a, b) => b[1].count - a[1].count);
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`outcomes (first case of each in brackets):\n`);
  for (const [kind, { count, firstIndex }] of rows) {
    process.stdout.write(`  ${kind.padEnd(width)}  ${String(count).padStart(6)}  ${((100 * count) / tally.cases).toFixed(1).padStart(5)}%  [${firstIndex}]\n`);
  }
  process.stdout.write(
    `host crashes: ${tally.hostCrashes}; crash reports that are not one readable paragraph: ${tally.badReports}\n` +
      `${tally.cases} cases in ${(tally.wallMs / 1000).toFixed(1)} s (${((1000 * tally.cases) / tally.wallMs).toFixed(0)} cases/s, ${tally.threadsStarted} threads started)\n`,
  );
  return tally.hostCrashes === 0 && tally.badReports === 0 ? 0 : 1;
}

process.exitCode = await main();
