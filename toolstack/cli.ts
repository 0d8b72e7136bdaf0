#!/usr/bin/env node
/**
 * The `hvmsim` command line. Usage errors print one line and exit with status 2, writing nothing.
 * `run` loads only the runtime; `bench` (bench/bench-command.ts) is imported when asked for, so
 * starting a guest never loads benchmark code.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { SCAN_STRATEGIES, VGA_MODES, type ScanStrategy, type VgaMode } from '../shared/vga-config.js';
import { MAX_MEMORY_MIB, MAX_VCPUS, MIN_MEMORY_MIB } from '../shared/domain-limits.js';
import { DEFAULT_REFRESH_HZ, DEFAULT_VGA_MODE } from './domain-builder.js';
import { EXIT_USAGE } from './exit-status.js';
import { runCommand, type ModuleArgument } from './run-command.js';

function integerOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}`);
    return n;
  };
}

interface RunCliOptions {
  memory: number;
  stats?: string;
  spin?: number;
  strictMemory?: boolean;
  cmdline?: string;
  vga: VgaMode;
  scan: ScanStrategy;
  refresh: number;
  screenshot?: string;
  vcpus: number;
  input?: string;
  module: ModuleArgument[];
}

/** `--module FILE[,STRING]`: the module's string is FILE, then a space and STRING if given (QEMU's -initrd "FILE STRING" item). */
function moduleOption(value: string, previous: ModuleArgument[]): ModuleArgument[] {
  const comma = value.indexOf(',');
  const path = comma < 0 ? value : value.slice(0, comma);
  if (path === '') throw new InvalidArgumentError('--module needs a file: --module FILE[,STRING]');
  const args = comma < 0 ? undefined : value.slice(comma + 1);
  return [...previous, { path, string: args === undefined || args === '' ? path : `${path} ${args}` }];
}

/** The command line; `withBench` adds the full `bench` command (else a placeholder that names it in --help). */
export async function buildCli(withBench: boolean): Promise<Command> {
  const program = new Command('hvmsim')
    .description("A simulator of Xen's HVM I/O path")
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str.split('\n')[0] + '\n') });

  program
    .command('run')
    .description('run one guest (multiboot kernel) to completion')
    .argument('<guest.elf>', 'guest kernel: a multiboot v1 ELF32, or any image with an a.out-kludge multiboot header')
    .option('--memory <MiB>', 'guest RAM in MiB', integerOption('--memory', MIN_MEMORY_MIB, MAX_MEMORY_MIB), 64)
    .option('--stats <file.json>', 'write counters and timings as JSON')
    .option('--strict-memory', 'crash the domain on a data access to guest-physical memory with nothing behind it (default: reads all ones, writes dropped, as Xen and QEMU)')
    .option('--spin <n>', 'a fixed spin budget before sleeping on the ioreq path (default: adaptive, up to 2000)', integerOption('--spin', 0, 1_000_000))
    .option('--cmdline <text>', "multiboot command line, after the kernel's path (QEMU's -append)")
    .option('--module <file[,string]>', 'a multiboot module, loaded after the kernel (repeatable; QEMU -initrd "file string")', moduleOption, [])
    .addOption(new Option('--vga <mode>', 'how the frame buffer reaches the device model').choices([...VGA_MODES]).default(DEFAULT_VGA_MODE))
    .addOption(new Option('--scan <strategy>', "how shared mode finds changed pages").choices([...SCAN_STRATEGIES]).default('memcmp'))
    .option('--refresh <hz>', 'display refreshes per second', integerOption('--refresh', 1, 1000), DEFAULT_REFRESH_HZ)
    .option('--screenshot <file.png>', 'write the final frame as PNG')
    .option('--vcpus <n>', 'virtual CPUs (vCPU 0 boots; the guest starts the others with VCPUOP_up)', integerOption('--vcpus', 1, MAX_VCPUS), 1)
    .option('--input <script>', 'replay timed mouse and keyboard events (device-model/input-script.ts)')
    .action(async (guest: string, o: RunCliOptions) => {
      process.exitCode = await runCommand(
        guest,
        {
          memoryMiB: o.memory,
          statsFile: o.stats,
          spin: o.spin,
          strictMemory: o.strictMemory,
          cmdline: o.cmdline,
          vga: o.vga,
          scan: o.scan,
          refreshHz: o.refresh,
          screenshot: o.screenshot,
          vcpus: o.vcpus,
          inputScript: o.input,
          modules: o.module,
        },
        { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin.isTTY ? undefined : process.stdin },
      );
    });
  if (withBench) program.addCommand((await import('../bench/bench-command.js')).benchCommand());
  else program.command('bench').description('run benchmark scenarios (hvmsim bench --help for more)');
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    const program = await buildCli(argv[2] === 'bench');
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    throw e;
  }
}

await main(process.argv);
