/**
 * Counters every thread of a domain keeps in shared memory, so the toolstack can read them at any
 * moment (even while a vCPU is blocked) without a message round trip. Each thread writes only its
 * own block; doubles are exact up to 2^53, and a torn read of a counter that is still moving is
 * harmless for statistics.
 */

/** Per-vCPU counters. `exit_*` are VM exits by reason (the names --stats uses). */
export const VCPU_COUNTERS = [
  'instructions',
  'exit_io',
  'exit_mmio',
  'exit_logdirty',
  'exit_hlt',
  'exit_vmcall',
  'exit_cpuid',
  'exit_msr',
  'exit_interrupt_window',
  'exit_external_interrupt',
  'exit_triple_fault',
  'ioreq_sync',
  'ioreq_buffered',
  // Exits that sent at least one synchronous ioreq: fewer than ioreq_sync when one exit sends
  // several (a read-modify-write on MMIO, an access split at a page boundary).
  'ioreq_exits',
  'ioreq_wait_ns',
  'interrupts_injected',
  'null_reads',
  'null_writes',
  'hv_device_accesses',
  'halt_ns',
  // Host time since this vCPU first ran guest code: its share of a run without thread start-up
  // and teardown (bench/scenario-runner.ts takes steady-state per-frame time from it).
  'run_ns',
  // Input latency (device-model/input-script.ts): IRQ 1/12 vectors injected for an event's first
  // byte, and the host time from the device model's injection of that event to the vector's
  // injection (handler entry): sum and largest.
  'input_irqs',
  'input_latency_ns',
  'input_latency_max_ns',
  // Paging (hypervisor/cpu/tlb.ts): TLB lookups that found no entry, page walks (misses and
  // entries that did not allow the access), and #PF raised by translation.
  'tlb_miss',
  'page_walks',
  'page_faults',
] as const;
export type VcpuCounter = (typeof VCPU_COUNTERS)[number];

/** Device-model counters. */
export const DM_COUNTERS = [
  'ioreqs_served',
  'buffered_served',
  'pio',
  'mmio',
  'pci_config',
  'bad_requests',
  'wakeups',
  'busy_ns',
  'irq_level_changes',
  // Display (device-model/devices/vga/display.ts): refreshes run, refreshes that changed the
  // picture, VRAM pages the dirty scan looked at, bytes it compared or hashed, pages found
  // dirty, and wall time spent refreshing (a timing, not a deterministic count).
  'refreshes',
  'frames',
  'pages_scanned',
  'bytes_compared',
  'dirty_pages',
  'display_ms',
  // track_dirty_vram's p2m flush (shared/p2m-flush.ts): vCPUs kicked out of guest code, and
  // flushes that gave up waiting and held their pages back to a later refresh.
  'vram_flush_kicks',
  'vram_flush_timeouts',
  // Input script replay: events injected, and how long they waited past their time for the
  // device to have room (backpressure), summed.
  'input_events',
  'input_delay_ns',
  // Requests that arrived while the device model was busy with another (it serves one at a
  // time, as qemu-dm's single thread), and their wait from publication to being taken up.
  'queued_requests',
  'queue_wait_ns',
] as const;
export type DmCounter = (typeof DM_COUNTERS)[number];

export const VCPU_COUNTER_INDEX = Object.fromEntries(VCPU_COUNTERS.map((n, i) => [n, i])) as Record<VcpuCounter, number>;
export const DM_COUNTER_INDEX = Object.fromEntries(DM_COUNTERS.map((n, i) => [n, i])) as Record<DmCounter, number>;

// Each thread's block starts a 64-byte cache line of its own and is followed by a spare line, so
// one thread's counter updates never move a line another thread is writing (false sharing).
const LINE_DOUBLES = 8;
const blockDoubles = (n: number): number => Math.ceil(n / LINE_DOUBLES) * LINE_DOUBLES + LINE_DOUBLES;
const VCPU_BLOCK = blockDoubles(VCPU_COUNTERS.length);

export function createStatsBuffer(vcpus: number): SharedArrayBuffer {
  return new SharedArrayBuffer(8 * (vcpus * VCPU_BLOCK + blockDoubles(DM_COUNTERS.length)));
}

/** A vCPU's counters: index with VCPU_COUNTER_INDEX. */
export function vcpuCounters(buffer: SharedArrayBuffer, vcpu: number): Float64Array {
  return new Float64Array(buffer, 8 * vcpu * VCPU_BLOCK, VCPU_COUNTERS.length);
}

/** The device model's counters: index with DM_COUNTER_INDEX. */
export function dmCounters(buffer: SharedArrayBuffer, vcpus: number): Float64Array {
  return new Float64Array(buffer, 8 * vcpus * VCPU_BLOCK, DM_COUNTERS.length);
}
