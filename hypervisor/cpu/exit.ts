/**
 * VM exits as the CPU reports them to the hypervisor. Reason numbers are Intel's VMX basic
 * exit reasons, so counters and traces read like Xen's.
 */
export const enum ExitReason {
  EXTERNAL_INTERRUPT = 1, // a kick from another thread: notice pending interrupts
  TRIPLE_FAULT = 2,
  INTERRUPT_WINDOW = 7, // the guest can now take an interrupt (armed by intr_assist)
  CPUID = 10,
  HLT = 12,
  VMCALL = 18,
  IO_INSTRUCTION = 30,
  MSR_READ = 31, // RDMSR of an MSR the hypervisor serves (Xen's window at 0x40000000)
  MSR_WRITE = 32,
  EPT_VIOLATION = 48, // an access to a frame whose p2m type is not plain RAM
}

export const EXIT_REASON_NAMES: Readonly<Record<number, string>> = {
  1: 'external_interrupt',
  2: 'triple_fault',
  7: 'interrupt_window',
  10: 'cpuid',
  12: 'hlt',
  18: 'vmcall',
  30: 'io',
  31: 'msr_read',
  32: 'msr_write',
  48: 'ept_violation',
};

export const enum IoDir {
  OUT = 0,
  IN = 1,
}

/**
 * What the CPU tells the exit handler, and what the handler hands back (`value` for IN and
 * MMIO reads, `done` for string I/O). One instance per CPU, reused: no allocation per exit.
 */
export class ExitInfo {
  reason: ExitReason = ExitReason.HLT;
  /** Port (IO_INSTRUCTION), guest-physical address (EPT_VIOLATION) or MSR index (MSR_READ/WRITE). */
  addr = 0;
  /** Bytes per access: 1, 2, 4 (8 never for port I/O). */
  size = 0;
  /** IoDir.IN / IoDir.OUT; for EPT_VIOLATION 1 = read, 0 = write. */
  dir: IoDir = IoDir.OUT;
  /** The value written (OUT, MMIO write) or, set by the handler, the value read. */
  value = 0;
  /** High 32 bits of an 8-byte MMIO access. */
  valueHigh = 0;
  /** p2m type of the frame (EPT_VIOLATION). */
  p2mType = 0;
  /** String I/O or rep MMIO: number of repetitions offered (1 for a single access). */
  count = 1;
  /** String operation: `data` is a guest-physical buffer address rather than a value. */
  dataIsPtr = false;
  /** Guest-physical buffer address when dataIsPtr. */
  data = 0;
  /** Direction flag: addresses step down. */
  df = false;
  /** Set by the handler for string I/O: how many repetitions it performed (0 < done <= count). */
  done = 0;
  /** Set by the handler for EPT_VIOLATION: the frame is now accessible, repeat the access directly. */
  retry = false;
  /**
   * EPT_VIOLATION: a further access of an instruction whose emulation an earlier exit began
   * (the write of a read-modify-write, the second part of a page-crossing access). Handled,
   * but not counted as another exit: Xen's emulator issues all of them in one.
   */
  continuation = false;

  /** Describe one access of `size` bytes (not a string operation): count 1, a value, no pointer. */
  setSingle(addr: number, size: number, dir: IoDir, value: number): void {
    this.addr = addr;
    this.size = size;
    this.dir = dir;
    this.value = value;
    this.count = 1;
    this.dataIsPtr = false;
    this.data = 0;
    this.df = false;
    this.done = 1;
    this.retry = false;
  }
}
