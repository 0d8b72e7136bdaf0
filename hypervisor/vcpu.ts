/**
 * One vCPU's life (docs/architecture.md §3): service the hypervisor's timers and the device model's IRQ
 * wires, intr_assist, run the guest until an exit, handle the exit through the exit table,
 * block in HLT or on the device model, obey pause and destroy. The same class runs inside a
 * hypervisor worker (vcpu-worker.ts) or in-process for tests.
 *
 * Several vCPUs: vCPU 0 boots at the kernel entry and owns the PIC, PIT and RTC, so PIC
 * interrupts reach it alone; the others start where VCPUOP_up said (hypercalls.ts) and take no
 * PIC interrupts (their HLT with IF=1 waits for a kick that only pause or destroy sends; a
 * p2m flush kicks a running vCPU out of guest code, shared/p2m-flush.ts). They
 * share RAM and VRAM as plain memory: LOCK-prefixed instructions are not atomic across vCPU
 * threads, and a vCPU's block cache sees only its own writes to code.
 */
import { attachDomainSharedMemory, type AttachedDomain } from '../shared/domain-layout.js';
import type { DomainConfig } from '../shared/domain-config.js';
import { DomainControl, REQ_DESTROY, REQ_PAUSE, REQ_SHUTDOWN, RunState } from '../shared/domain-control.js';
import { IoBus } from '../shared/io-bus.js';
import { IoreqServerRanges } from '../shared/ioreq-server-ranges.js';
import type { ControlMessage, ShutdownReason } from '../shared/control-messages.js';
import { IoreqProtocolError } from '../shared/ioreq.js';
import { VCPU_COUNTER_INDEX as C, VCPU_COUNTERS, vcpuCounters } from '../shared/run-stats.js';
import { Cpu, RunResult } from './cpu/cpu.js';
import { GuestMemory } from './cpu/guest-memory.js';
import { completeCpuid } from './cpuid.js';
import { createPlatformDevices, nextTimerDeadline, attachPlatformDevices, type PlatformDevices } from './devices/platform-devices.js';
import { exitDispatcher, type ExitHandlers } from './exit-table.js';
import { EINVAL, handleHypercall } from './hypercalls/table.js';
import { serveXenMsr } from './xen-msr.js';
import { HvmParams } from '../shared/hvm-params.js';
import { intrAssist } from './intr-assist.js';
import { IoreqClient } from './ioreq-client.js';
import { MmioHandler, type BufferedRange } from './mmio.js';
import { DirtyVram } from '../shared/dirty-vram.js';
import type { FlushPoint } from '../shared/p2m-flush.js';
import { VGA_WINDOW_BASE, VGA_WINDOW_BYTES } from '../shared/vga-config.js';
import { PortIo } from './port-io.js';
import { Reg } from './cpu/registers.js';
import { hostNowNs } from '../shared/host-clock.js';
import { describeThrown } from '../shared/describe-thrown.js';

/** Instructions per slice while a timer is armed: bounds how late a tick is noticed (~1 ms). */
const TIMER_SLICE = 100_000;
/** Slice with no timer armed: kicks and exits interrupt it anyway. */
const IDLE_SLICE = 20_000_000;
/** Longest single sleep in HLT before re-checking control words (ms). */
const MAX_HALT_SLEEP_MS = 1000;

/**
 * The ioreq client of a domain with several vCPUs: it stamps each request's publication time,
 * so the device model can tell which requests queued behind another vCPU's (DM counters
 * queued_requests, queue_wait_ns).
 */
class StampedIoreqClient extends IoreqClient {
  constructor(
    private readonly stamps: Float64Array,
    domain: AttachedDomain,
    private readonly slot: number,
    control: DomainControl,
    spin: number,
    adaptiveSpin: boolean,
  ) {
    super(domain, slot, control, spin, adaptiveSpin);
  }

  override send(): number {
    this.stamps[this.slot] = hostNowNs();
    return super.send();
  }
}

export interface VcpuEnv {
  config: DomainConfig;
  vcpu: number;
  /** A secondary vCPU's start (VCPUOP_up); vCPU 0 starts at the kernel's entry. */
  start?: { eip: number; esp: number };
  /** Send a control message to the toolstack. */
  post(message: ControlMessage): void;
}

export type VcpuOutcome = 'destroyed' | 'crashed' | 'down' | 'shutdown';

export class Vcpu implements ExitHandlers {
  readonly cpu: Cpu;
  readonly domain: AttachedDomain;
  readonly control: DomainControl;
  readonly counters: Float64Array;
  readonly platform: PlatformDevices | undefined;
  private readonly hvBus = new IoBus();
  private readonly ioreq: IoreqClient;
  private readonly portIo: PortIo;
  private readonly mmioHandler: MmioHandler;
  /** Where this vCPU acknowledges the device model's p2m flushes (shared/p2m-flush.ts). */
  private readonly flushPoint: FlushPoint;
  private readonly startNs = process.hrtime.bigint();
  private readonly clock = { now: (): number => Number(process.hrtime.bigint() - this.startNs) };
  private halted = false;
  /** The EPT violation being handled has sent a synchronous ioreq already (counted in ioreq_exits). */
  private emulationSentSync = false;
  /** IRQ wire levels last applied to the PIC (bit n = ISA IRQ n). */
  private appliedLevels = 0;
  /** DomainConfig.vcpuUp: which vCPUs have been started. */
  private readonly upFlags: Int32Array | undefined;
  /** DomainConfig.irqStamps: input events' injection times, per IRQ (vCPU 0 takes them). */
  private readonly irqStamps: BigInt64Array | undefined;

  constructor(private readonly env: VcpuEnv) {
    const { config, vcpu } = env;
    this.hvmParams = new HvmParams(config.hvmParams);
    this.domain = attachDomainSharedMemory(config.io);
    this.control = new DomainControl(config.control, config.vcpus);
    this.counters = vcpuCounters(config.stats, vcpu);
    const ranges = new IoreqServerRanges(config.ranges);
    this.ioreq = config.ioreqStamps
      ? new StampedIoreqClient(new Float64Array(config.ioreqStamps), this.domain, vcpu, this.control, config.spin, config.adaptiveSpin)
      : new IoreqClient(this.domain, vcpu, this.control, config.spin, config.adaptiveSpin);
    this.upFlags = config.vcpuUp ? new Int32Array(config.vcpuUp) : undefined;
    this.irqStamps = config.irqStamps && vcpu === 0 ? new BigInt64Array(config.irqStamps) : undefined;
    if (vcpu === 0) {
      // The PIC, PIT and RTC are per domain; they live with vCPU 0, which receives the PIC's output.
      this.platform = createPlatformDevices({
        clock: this.clock,
        startTime: Math.floor(Date.now() / 1000),
        memory: { ramBelow4G: config.ram.byteLength, cpus: config.vcpus },
      });
      attachPlatformDevices(this.hvBus, this.platform);
    }
    this.portIo = new PortIo(this.hvBus, ranges, this.ioreq);
    const vga = config.vga;
    // Xen buffers writes to the legacy VGA window; `buffered` mode (hvmsim's what-if) does the same for the LFB.
    const buffered: BufferedRange[] = [{ first: VGA_WINDOW_BASE, last: VGA_WINDOW_BASE + VGA_WINDOW_BYTES - 1 }];
    if (vga.mode === 'buffered') buffered.push({ first: vga.lfbAddress, last: vga.lfbAddress + vga.vram.byteLength - 1 });
    this.mmioHandler = new MmioHandler(ranges, this.ioreq, buffered, config.strictMemory === true);
    const dirtyVram = new DirtyVram(vga.dirtyVram);
    this.flushPoint = dirtyVram.flushPoint(vcpu);
    // The device model's display sleeps until something could have changed; a dirty bit is
    // such news, announced on the buffered-ioreq port (a log-dirty exit happens once per clean
    // page per refresh, and a port already pending costs one atomic).
    const doorbell = this.domain.bufioreqPort();
    this.mmioHandler.onDirty = (frame) => {
      dirtyVram.mark(frame);
      this.domain.guestEventChannels.send(doorbell);
    };
    const mem = new GuestMemory(config.ram, config.p2m);
    if (vga.mode === 'shared' || vga.mode === 'shared-dirty') mem.mapDirect(vga.lfbAddress, new Uint8Array(vga.vram));
    this.cpu = new Cpu(mem, exitDispatcher(this, this.counters));
    this.cpu.kick = this.domain.irqLines.kickView(vcpu);
    if (vcpu === 0) this.cpu.loadBootState(config.boot);
    else if (env.start) {
      // VCPUOP_up (hypercalls.ts): -kernel's state (its GDT too) at the given entry and stack, EAX = vCPU id.
      this.cpu.loadBootState({ ...config.boot, eip: env.start.eip });
      this.cpu.regs[Reg.EAX] = vcpu;
      this.cpu.regs[Reg.ESP] = env.start.esp;
    }
  }

  private readonly hvmParams: HvmParams;
  /** When this vCPU first ran guest code (its clock, ns). */
  private firstRunNs: number | undefined;

  // ---------------------------------------------------------------- the loop

  run(): VcpuOutcome {
    const { control, cpu } = this;
    const v = this.env.vcpu;
    control.setState(v, RunState.RUNNING);
    try {
      for (;;) {
        // Between runs this vCPU holds no view of the p2m: pass the device model's flushes here
        // (before a halt or pause, too), and again below before guest code runs after a wait.
        this.flushPoint.pass();
        const req = control.requests();
        if (req & REQ_DESTROY) return this.finish('destroyed');
        if (req & REQ_SHUTDOWN) {
          control.setState(v, RunState.SHUTDOWN);
          return this.parkUntilDestroyed('shutdown');
        }
        if (req & REQ_PAUSE) {
          this.ioreq.freeSlot();
          control.setState(v, RunState.PAUSED);
          control.waitWhilePaused();
          control.setState(v, RunState.RUNNING);
          continue;
        }
        this.serviceInterrupts();
        if (this.halted) {
          if (!this.haltWait()) continue;
        }
        this.flushPoint.pass();
        if (this.platform && intrAssist(cpu, this.platform.pic)) {
          this.counters[C.interrupts_injected]!++;
          this.takeInputStamp(this.platform);
        }
        const armed = this.platform !== undefined && nextTimerDeadline(this.platform.timers) !== Infinity;
        this.firstRunNs ??= this.clock.now();
        const result = cpu.run(armed ? TIMER_SLICE : IDLE_SLICE);
        if (cpu.fpu.ferrRequest) this.routeFerr();
        this.syncCounters();
        if (result === RunResult.DEAD) return this.crashed();
        if (this.halted && !cpu.interruptsEnabled) {
          // HLT with IF=0: this vCPU goes offline (Xen's hvm_vcpu_down).
          control.setState(v, RunState.DOWN);
          this.env.post({ kind: 'vcpu-down', domid: this.env.config.domid, vcpu: v });
          return this.parkUntilDestroyed('down');
        }
      }
    } catch (e) {
      this.syncCounters();
      const reason =
        e instanceof IoreqProtocolError
          ? `ioreq protocol violation by the device model: ${e.message}`
          : `hypervisor error: ${describeThrown(e)}`;
      cpu.crashWith(reason);
      return this.crashed();
    }
  }

  /**
   * The vector just injected was an input event's IRQ whose first byte the device model
   * stamped: the event has reached its handler's entry. Count the latency.
   */
  private takeInputStamp(p: PlatformDevices): void {
    const ack = p.pic.lastAcknowledge;
    if (this.irqStamps === undefined || ack === undefined || ack.spurious) return;
    const stamp = Atomics.exchange(this.irqStamps, ack.irq, 0n);
    if (stamp === 0n) return;
    const ns = Math.max(0, hostNowNs() - Number(stamp));
    const k = this.counters;
    k[C.input_irqs]!++;
    k[C.input_latency_ns]! += ns;
    if (ns > k[C.input_latency_max_ns]!) k[C.input_latency_max_ns] = ns;
  }

  /**
   * FERR# asserted by the x87 (an unmasked exception met with CR0.NE = 0, x87/x87-state.ts):
   * IRQ 13 through the PC's error latch (devices/ferr-latch.ts), as QEMU's pc machine does.
   */
  private routeFerr(): void {
    this.cpu.fpu.ferrRequest = false;
    this.platform?.ferr.raise();
  }

  /** Timers due, and the device model's wires, into the PIC. */
  private serviceInterrupts(): void {
    const p = this.platform;
    if (!p) {
      // No PIC here: a kick only asks this vCPU to come out of guest code (a flush, a pause).
      this.domain.irqLines.acknowledgeKick(this.env.vcpu);
      return;
    }
    for (const t of p.timers) if (t.nextDeadline() <= this.clock.now()) t.service();
    const lines = this.domain.irqLines;
    if (!lines.acknowledgeKick(this.env.vcpu) && this.appliedLevels === lines.levels()) return;
    const edges = lines.takeRisingEdges();
    const levels = lines.levels();
    const changed = edges | (levels ^ this.appliedLevels);
    for (let irq = 0; irq < 16; irq++) {
      const bit = 1 << irq;
      if (!(changed & bit)) continue;
      // Every rise since we last looked reaches the PIC as an edge, even a pulse that is over
      // or a low-high dip the PIC never saw (Xen's vPIC sees each level change as it happens).
      if (edges & bit) {
        p.pic.setIrqLevel(irq, false);
        p.pic.setIrqLevel(irq, true);
      }
      p.pic.setIrqLevel(irq, (levels & bit) !== 0);
    }
    this.appliedLevels = levels;
  }

  /**
   * HLT with IF=1: sleep until an interrupt is pending, a timer is due, or the toolstack wants
   * something. Returns true when the vCPU should run again.
   */
  private haltWait(): boolean {
    const { control, cpu } = this;
    const v = this.env.vcpu;
    if (!cpu.interruptsEnabled) return true; // handled after run() returns (vCPU down)
    const t0 = this.clock.now();
    this.ioreq.freeSlot(); // an idle vCPU's slot reads NONE (IoreqPage.takeResponse)
    control.setState(v, RunState.HALTED);
    for (;;) {
      if (control.requests() & (REQ_DESTROY | REQ_PAUSE)) {
        control.setState(v, RunState.RUNNING);
        this.counters[C.halt_ns]! += this.clock.now() - t0;
        return false; // the loop top deals with it; HLT resumes afterwards
      }
      this.serviceInterrupts();
      if (this.platform?.pic.hasPendingInterrupt()) break;
      const deadline = this.platform ? nextTimerDeadline(this.platform.timers) : Infinity;
      const sleepMs = Math.min(MAX_HALT_SLEEP_MS, Math.max(0, (deadline - this.clock.now()) / 1e6));
      // No spin: an idle guest should cost (close to) nothing.
      this.domain.irqLines.waitForKick(v, 0, sleepMs);
    }
    this.halted = false;
    control.setState(v, RunState.RUNNING);
    this.counters[C.halt_ns]! += this.clock.now() - t0;
    return true;
  }

  private syncCounters(): void {
    const k = this.counters;
    if (this.firstRunNs !== undefined) k[C.run_ns] = this.clock.now() - this.firstRunNs;
    k[C.instructions] = this.cpu.instructions;
    k[C.tlb_miss] = this.cpu.tlbMisses;
    k[C.page_walks] = this.cpu.pageWalks;
    k[C.page_faults] = this.cpu.pageFaults;
    k[C.ioreq_sync] = this.ioreq.sync;
    k[C.ioreq_buffered] = this.ioreq.bufferedPosts;
    k[C.ioreq_wait_ns] = this.ioreq.waitNs;
    k[C.null_reads] = this.portIo.counters.nullReads + this.mmioHandler.counters.nullReads;
    k[C.null_writes] = this.portIo.counters.nullWrites + this.mmioHandler.counters.nullWrites;
    k[C.hv_device_accesses] = this.portIo.counters.hvDevice;
  }

  private crashed(): VcpuOutcome {
    const report = this.cpu.crash ?? this.cpu.report('vCPU stopped without a report');
    const exits: Record<string, number> = {};
    VCPU_COUNTERS.forEach((name, i) => {
      if (name.startsWith('exit_')) exits[name.slice(5)] = this.counters[i]!;
    });
    const bytes = report.bytes ? Uint8Array.from(report.bytes.split(' ').map((b) => parseInt(b, 16))) : new Uint8Array();
    this.control.setState(this.env.vcpu, RunState.DEAD);
    this.env.post({
      kind: 'crash',
      domid: this.env.config.domid,
      report: {
        reason: report.reason.slice(0, 1024),
        vcpu: this.env.vcpu,
        eip: report.eip,
        instructionBytes: bytes,
        exits,
        registers: report.registers,
      },
    });
    return 'crashed';
  }

  private finish(outcome: VcpuOutcome): VcpuOutcome {
    this.ioreq.freeSlot();
    this.syncCounters();
    this.control.setState(this.env.vcpu, RunState.DEAD);
    return outcome;
  }

  /** An offline vCPU keeps its thread until the domain is destroyed (its state stays readable). */
  private parkUntilDestroyed(outcome: VcpuOutcome): VcpuOutcome {
    this.ioreq.freeSlot();
    while (!(this.control.requests() & REQ_DESTROY)) {
      this.domain.irqLines.waitForKick(this.env.vcpu, 0, MAX_HALT_SLEEP_MS);
      this.domain.irqLines.acknowledgeKick(this.env.vcpu);
    }
    return outcome;
  }

  // ---------------------------------------------------------------- exit handlers (exit-table.ts)

  io(cpu: Cpu): void {
    const sent = this.ioreq.sync;
    this.portIo.handle(cpu);
    if (this.ioreq.sync !== sent) this.counters[C.ioreq_exits]!++;
    this.stopIfShutDown(cpu);
    // Xen runs intr_assist at every VM entry: an access that left the PIC with a request for
    // the CPU (an EOI uncovering a waiting IRQ, an unmask) is acted on before the guest goes on.
    const p = this.platform;
    if (p !== undefined && !cpu.intWindowArmed && p.pic.hasPendingInterrupt()) cpu.requestStop();
  }

  mmio(cpu: Cpu): void {
    const sent = this.ioreq.sync;
    this.mmioHandler.handle(cpu);
    // One exit may send several ioreqs (Cpu: continuation accesses); it counts once here.
    if (!cpu.exit.continuation) this.emulationSentSync = false;
    if (this.ioreq.sync !== sent && !this.emulationSentSync) {
      this.emulationSentSync = true;
      this.counters[C.ioreq_exits]!++;
    }
    this.stopIfShutDown(cpu);
  }

  /** The access just completed may have shut the domain down: retire it and run nothing more. */
  private stopIfShutDown(cpu: Cpu): void {
    if (this.control.requestsAtExit() & REQ_SHUTDOWN) cpu.requestStop();
  }

  hlt(cpu: Cpu): void {
    this.halted = true;
    cpu.requestStop();
  }

  vmcall(cpu: Cpu): void {
    handleHypercall({
      cpu,
      domid: this.env.config.domid,
      params: this.hvmParams,
      shutdown: (reason) => this.requestShutdown(reason),
      vcpuUp: (vcpu, eip, esp) => this.startVcpu(vcpu, eip, esp),
    });
  }

  /** VCPUOP_up: claim the vCPU (once) and ask the toolstack to start its worker. */
  private startVcpu(vcpu: number, eip: number, esp: number): number {
    const flags = this.upFlags;
    if (flags === undefined || vcpu >= this.env.config.vcpus) return -EINVAL;
    if (Atomics.compareExchange(flags, vcpu, 0, 1) !== 0) return -EINVAL; // already up (vCPU 0 always is)
    this.env.post({ kind: 'vcpu-up', domid: this.env.config.domid, vcpu, eip, esp });
    return 0;
  }

  cpuid(cpu: Cpu): void {
    completeCpuid(cpu, this.env.vcpu, this.env.config.vcpus, this.env.config.domid);
  }

  msr(cpu: Cpu): void {
    serveXenMsr(cpu);
  }

  interruptWindow(cpu: Cpu): void {
    cpu.requestStop(); // back to the loop top, where intr_assist injects
  }

  externalInterrupt(cpu: Cpu): void {
    cpu.requestStop();
  }

  tripleFault(_cpu: Cpu): void {
    // The CPU already recorded the report and stopped; run() returns DEAD.
  }

  private requestShutdown(reason: ShutdownReason): void {
    this.control.setRequest(REQ_SHUTDOWN, true);
    this.cpu.requestStop();
    this.env.post({ kind: 'shutdown', domid: this.env.config.domid, reason });
  }
}
