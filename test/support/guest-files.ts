/**
 * The committed guest images (guests/bin/*.elf) and what each is expected to do, for tests
 * that run them under QEMU or hvmsim.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GUESTS_DIR = path.join(REPO_ROOT, 'guests');
export const GUEST_BIN_DIR = path.join(GUESTS_DIR, 'bin');
/** The toolchain (gcc and ld version lines) the committed images were built with. */
export const GUEST_TOOLCHAIN_FILE = path.join(GUEST_BIN_DIR, 'toolchain.txt');

export const GUEST_NAMES = ['hello', 'compute', 'exceptions'] as const;
export type GuestName = (typeof GUEST_NAMES)[number];

export function guestElf(name: GuestName): string {
  return path.join(GUEST_BIN_DIR, `${name}.elf`);
}

/** The value each guest writes to isa-debug-exit (port 0xF4) when all is well. */
export const GUEST_EXIT_CODE: Readonly<Record<GuestName, number>> = { hello: 0, compute: 0, exceptions: 0 };

/** Codes every guest may use (guests/runtime/debug-exit.h). */
export const GuestExitCode = { OK: 0, CHECK_FAILED: 1, UNHANDLED_TRAP: 0x7f } as const;

/** The process exit status QEMU (and hvmsim) report for a guest's debug-exit code. */
export function debugExitStatus(code: number): number {
  return ((code << 1) | 1) & 0xff;
}

/*
 * What each guest prints, stated from facts independent of any emulator: the multiboot magic,
 * C printf semantics, the exception vectors and error codes of the x86 architecture, and for
 * compute a host model that computes the same results by other means.
 */
const HELLO_SERIAL =
  'Hello from an hvmsim guest!\n' +
  'multiboot magic: 0x2badb002\n' +
  'mem_lower/mem_upper present\n' +
  'format: [   42] [42   ] [-0042] [+7] [beef] [0000BEEF] [Z] [str] [ ab] [%] [4294967295]\n' +
  'bye\n';

const EXCEPTIONS_SERIAL =
  'exceptions: 6 cases\n' +
  "#DE divide by zero             vector  0, eip insn+0, resumed with handler's EAX: ok\n" +
  "#DE quotient overflow          vector  0, eip insn+0, resumed with handler's EAX: ok\n" +
  "#UD ud2                        vector  6, eip insn+0, resumed with handler's EAX: ok\n" +
  "#BP int3                       vector  3, eip insn+1, resumed with handler's EAX: ok\n" +
  "#GP mov to DS, selector 0x4b   vector 13, error 0048, eip insn+0, resumed with handler's EAX: ok\n" +
  "#GP far jump, selector 0x50    vector 13, error 0050, eip insn+0, resumed with handler's EAX: ok\n" +
  'exceptions: 6 of 6 as expected\n';

let computeSerial: string | undefined;

/** The exact COM1 output of a guest that ran correctly (compute's takes ~1 s to work out, then is cached). */
export async function expectedSerial(name: GuestName): Promise<string> {
  switch (name) {
    case 'hello':
      return HELLO_SERIAL;
    case 'exceptions':
      return EXCEPTIONS_SERIAL;
    case 'compute': {
      if (computeSerial === undefined) {
        const { computeExpectedSerial } = await import('../../guests/compute/compute-model.js');
        computeSerial = computeExpectedSerial();
      }
      return computeSerial;
    }
  }
}
