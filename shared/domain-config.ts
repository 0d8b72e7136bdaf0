/**
 * Everything a domain's workers are started with (their workerData): the shared memory they map
 * and the platform the toolstack built. Plain numbers, strings and SharedArrayBuffers only, so it
 * crosses to a worker by structured clone with the buffers still shared.
 */
import type { BootCpuState } from './boot-cpu-state.js';
import type { InputEvent } from './input-event.js';
import type { DomainSharedMemory } from './domain-layout.js';
import type { VgaConfig } from './vga-config.js';

export interface DomainConfig {
  domid: number;
  name: string;
  vcpus: number;
  /** Guest RAM (the device model maps all of it, as qemu-dm does). */
  ram: SharedArrayBuffer;
  /** p2m: one type byte per 4 KiB frame of the 4 GiB space (hypervisor/p2m.ts). */
  p2m: SharedArrayBuffer;
  /** ioreq page, buffered page, event channels, IRQ lines (shared/domain-layout.ts). */
  io: DomainSharedMemory;
  /** The device model's ioreq-server ranges (shared/ioreq-server-ranges.ts). */
  ranges: SharedArrayBuffer;
  /** Pause/destroy requests and run states (shared/domain-control.ts). */
  control: SharedArrayBuffer;
  /** Counters (shared/run-stats.ts). */
  stats: SharedArrayBuffer;
  /** HVM parameters (shared/hvm-params.ts), set by the toolstack and by hvm_op. */
  hvmParams: SharedArrayBuffer;
  /** Host input for COM1 (shared/byte-ring.ts), written by the toolstack. */
  consoleIn: SharedArrayBuffer;
  /** A port in the device model's event-channel table the toolstack sets pending to wake it. */
  dmControlPort: number;
  /** vCPU 0's start: the loader's handover (shared/boot-cpu-state.ts). */
  boot: BootCpuState;
  /** Spin budget before Atomics.wait on the ioreq path (measured: bench/ioreq-bench). */
  spin: number;
  /** Let the budget adapt to what spinning buys (shared/adaptive-spin.ts), or keep it fixed. */
  adaptiveSpin: boolean;
  /** `--strict-memory`: a data access to a frame with nothing behind it crashes the domain instead of reaching the null device. */
  strictMemory?: boolean;
  /** The standard VGA and how its frame buffer is exposed (docs/architecture.md §6). */
  vga: VgaConfig;
  /** `--input`: the script's events, replayed by the device model (device-model/input-script.ts). */
  input?: InputEvent[];
  /**
   * One BigInt64 per ISA IRQ: the host time (shared/host-clock.ts) an input event was injected,
   * published while its first byte sits in the i8042's output buffer (0: none); the vCPU that
   * injects that IRQ's vector takes it and counts the latency.
   */
  irqStamps?: SharedArrayBuffer;
  /** One Float64 per vCPU: host time its current ioreq was published (several vCPUs only). */
  ioreqStamps?: SharedArrayBuffer;
  /** One Int32 per vCPU: 1 once started (vCPU 0 at boot, the others by VCPUOP_up). */
  vcpuUp?: SharedArrayBuffer;
}

/** ISA IRQs with an input-latency stamp slot in DomainConfig.irqStamps. */
export const IRQ_STAMP_SLOTS = 16;
