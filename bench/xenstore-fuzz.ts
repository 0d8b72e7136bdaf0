/**
 * `npm run bench:xenstore-fuzz [-- --messages N --seed S --hostile H --check-every K]`: the
 * XenStore fuzz (xenstore-fuzz-run.ts) with counts by outcome. Exits 0 when the daemon never
 * crashed, the witness domain was always answered correctly and its secret never reached another
 * domain, 1 otherwise; 2 on a bad option (bench/bench-cli.ts).
 */
import { Command, InvalidArgumentError } from 'commander';
import { parseBenchArgs, runBenchMain } from './bench-cli.js';
import { DEFAULT_XS_FUZZ_OPTIONS, runXenstoreFuzz, type XsFuzzResult } from './xenstore-fuzz-run.js';

function integer(name: string, min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max) throw new InvalidArgumentError(`--${name} must be an integer in ${min}..${max}`);
    return n;
  };
}

export function formatXenstoreFuzz(r: XsFuzzResult, seed: number, hostile: number): string {
  const sorted = (o: Record<string, number>) =>
    Object.entries(o)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  return [
    `xenstore fuzz: ${r.messages} messages, seed ${seed}, ${hostile} hostile domains, ${r.seconds.toFixed(1)} s (${Math.round(r.messages / r.seconds)} messages/s)`,
    `  generated:        ${sorted(r.generated)}`,
    `  requests handled: ${r.requestsHandled} (ok ${r.okReplies}, error replies ${r.requestsHandled - r.okReplies})`,
    `  errors:           ${sorted(r.errorsByCode)}`,
    `  rings stopped:    bad index ${r.ringErrors.ringIndex}, oversized ${r.ringErrors.protocol}; reconnects ${r.reconnects}; releases ${r.releases}`,
    `  watch events:     sent ${r.watchEvents}, dropped ${r.droppedWatchEvents}`,
    `  daemon crashes:   ${r.crashes}; internal errors ${r.internalErrors}`,
    `  secret leaked:    ${r.leaks} responses to hostile domains carried the witness's private value`,
    `  witness domain:   ${r.witnessChecks} checks, ${r.witnessFailures.length} failed`,
    ...r.witnessFailures.map((f) => `    ${f}`),
  ].join('\n');
}

async function main(): Promise<void> {
  const d = DEFAULT_XS_FUZZ_OPTIONS;
  const program = new Command('bench:xenstore-fuzz')
    .description('fuzz xenstored through hostile domains\' rings while a witness domain checks it is served correctly')
    .option('--messages <n>', 'fuzzed messages', integer('messages', 1, 100_000_000), d.messages)
    .option('--seed <s>', 'seed: the same seed and count give the same messages and counts', integer('seed', 0, 0xffffffff), d.seed)
    .option('--hostile <h>', 'hostile domains', integer('hostile', 1, 64), d.hostile)
    .option('--check-every <k>', 'messages between two checks of the witness domain', integer('check-every', 1, 1_000_000), d.checkEvery);
  if (!parseBenchArgs(program)) return;
  const o = program.opts<{ messages: number; seed: number; hostile: number; checkEvery: number }>();
  const r = runXenstoreFuzz(o);
  process.stdout.write(formatXenstoreFuzz(r, o.seed, o.hostile) + '\n');
  process.exitCode = r.crashes === 0 && r.internalErrors === 0 && r.leaks === 0 && r.witnessFailures.length === 0 ? 0 : 1;
}

runBenchMain('bench:xenstore-fuzz', main);
