/**
 * `npm run bench:xenstore-fuzz [-- --messages N --seed S --hostile H]`: the XenStore fuzz
 * (xenstore-fuzz-run.ts) with counts by outcome. Exits 0 when the daemon never crashed, the
 * witness domain was always answered correctly and its secret never reached another domain,
 * 1 otherwise, 2 on a bad option.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_XS_FUZZ_OPTIONS, runXenstoreFuzz, type XsFuzzOptions } from './xenstore-fuzz-run.js';

const d = DEFAULT_XS_FUZZ_OPTIONS;
const USAGE = `usage: npm run bench:xenstore-fuzz -- [options]
  --messages N   fuzzed messages (default ${d.messages})
  --seed S       seed (default ${d.seed})
  --hostile H    hostile domains (default ${d.hostile})
  --check-every K  messages between two checks of the witness domain (default ${d.checkEvery})`;

const LIMITS = { messages: [1, 100_000_000], seed: [0, 0xffffffff], hostile: [1, 64], 'check-every': [1, 1_000_000] } as const;

function parse(argv: string[]): XsFuzzOptions | string {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options: { ...Object.fromEntries(Object.keys(LIMITS).map((k) => [k, { type: 'string' as const }])), help: { type: 'boolean' } }, strict: true }).values;
  } catch (e) {
    return (e as Error).message;
  }
  if (values.help) return '';
  const o: { -readonly [K in keyof XsFuzzOptions]: XsFuzzOptions[K] } = { ...d };
  for (const [name, [min, max]] of Object.entries(LIMITS)) {
    const raw = values[name];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n < min || n > max) return `--${name} must be an integer in ${min}..${max}, got ${String(raw)}`;
    o[name === 'check-every' ? 'checkEvery' : (name as 'messages' | 'seed' | 'hostile')] = n;
  }
  return o;
}

const opts = parse(process.argv.slice(2));
if (typeof opts === 'string') {
  if (opts) process.stderr.write(`bench:xenstore-fuzz: ${opts}\n`);
  (opts ? process.stderr : process.stdout).write(USAGE + '\n');
  process.exit(opts ? 2 : 0);
}
const r = runXenstoreFuzz(opts);
const sorted = (o: Record<string, number>) => Object.entries(o).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
const lines = [
  `xenstore fuzz: ${r.messages} messages, seed ${opts.seed}, ${opts.hostile} hostile domains, ${r.seconds.toFixed(1)} s (${Math.round(r.messages / r.seconds)} messages/s)`,
  `  generated:        ${sorted(r.generated)}`,
  `  requests handled: ${r.requestsHandled} (ok ${r.okReplies}, error replies ${r.requestsHandled - r.okReplies})`,
  `  errors:           ${sorted(r.errorsByCode)}`,
  `  rings stopped:    bad index ${r.ringErrors.ringIndex}, oversized ${r.ringErrors.protocol}; reconnects ${r.reconnects}; releases ${r.releases}`,
  `  watch events:     sent ${r.watchEvents}, dropped ${r.droppedWatchEvents}`,
  `  daemon crashes:   ${r.crashes}; internal errors ${r.internalErrors}`,
  `  secret leaked:    ${r.leaks} responses to hostile domains carried the witness's private value`,
  `  witness domain:   ${r.witnessChecks} checks, ${r.witnessFailures.length} failed`,
  ...r.witnessFailures.map((f) => `    ${f}`),
];
process.stdout.write(lines.join('\n') + '\n');
process.exit(r.crashes === 0 && r.internalErrors === 0 && r.leaks === 0 && r.witnessFailures.length === 0 ? 0 : 1);
