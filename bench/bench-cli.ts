/**
 * The command-line contract every benchmark entry keeps, as `hvmsim` does: `--help` prints the
 * usage (status 0); a bad option or argument prints one line and the usage on stderr and exits
 * with status 2, never a stack trace; a failure while measuring prints one line, status 1.
 */
import { CommanderError, type Command } from 'commander';
import { EXIT_USAGE } from '../toolstack/exit-status.js';

/** Parse `argv` with `program` (its action not yet run); returns false when the process should stop. */
export function parseBenchArgs(program: Command, argv: readonly string[] = process.argv): boolean {
  program.exitOverride().configureOutput({ outputError: (str, write) => write(str.split('\n')[0] + '\n') });
  try {
    program.parse([...argv]);
    return true;
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.exitCode !== 0) {
      process.stderr.write(program.helpInformation());
      process.exitCode = EXIT_USAGE;
    } else process.exitCode = 0;
    return false;
  }
}

/** Run a benchmark's main: an error ends it with one line naming the benchmark, status 1. */
export function runBenchMain(name: string, main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    process.stderr.write(`${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
