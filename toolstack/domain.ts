/**
 * A running domain as the toolstack sees it (xl/libxl's role): it starts the device-model worker
 * and, once that is ready, vCPU 0's hypervisor worker, then one for each further vCPU the guest
 * starts with VCPUOP_up (a 'vcpu-up' message); streams console output; turns the
 * workers' messages into one outcome (debug exit, shutdown, crash); and pauses, unpauses and
 * destroys the domain through shared control words, so a request reaches a thread that is
 * computing, blocked in an ioreq or sleeping in HLT.
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { decodeControlMessage, type ControlMessage, type CrashReport } from '../shared/control-messages.js';
import type { DomainConfig } from '../shared/domain-config.js';
import { DomainControl, REQ_DESTROY, REQ_PAUSE, REQ_SHUTDOWN, RunState } from '../shared/domain-control.js';
import { attachDomainSharedMemory, type AttachedDomain } from '../shared/domain-layout.js';
import { ByteRing } from '../shared/byte-ring.js';
import { DM_COUNTERS, dmCounters, VCPU_COUNTERS, vcpuCounters } from '../shared/run-stats.js';
import { DM_WORKER, VCPU_WORKER } from './worker-urls.js';
import { describeThrown } from '../shared/describe-thrown.js';


/** How long a worker may take to leave its loop after destroy before it is terminated. */
const DESTROY_GRACE_MS = 2000;
/** How long the vCPUs get to park after the domain shut down, before destroy. */
const SHUTDOWN_SETTLE_MS = 500;

export type DomainOutcome =
  | { kind: 'debug-exit'; status: number }
  | { kind: 'shutdown'; reason: 'poweroff' | 'reboot' | 'halt' | 'crash' }
  | { kind: 'crash'; report: CrashReport }
  | { kind: 'destroyed' };

/**
 * One of the domain's threads as the domain drives it: a worker_threads Worker started from a
 * compiled entry (DM_WORKER, VCPU_WORKER) with its workerData. A host that runs many short
 * domains may pass its own starter that reuses threads (bench/random-code-fuzz-threads.ts).
 */
export interface DomainThread {
  // `any`, as Worker's own listener types have it.
  on(event: 'message' | 'error', listener: (value: any) => void): unknown;
  once(event: 'error' | 'exit', listener: (value: any) => void): unknown;
  off(event: 'message', listener: (value: any) => void): unknown;
  terminate(): Promise<number>;
}

export type ThreadStarter = (entry: URL, workerData: unknown) => DomainThread;

const newWorker: ThreadStarter = (entry, workerData) => new Worker(entry, { workerData });

export interface DomainEvents {
  console: [Uint8Array];
  outcome: [DomainOutcome];
}

export class Domain extends EventEmitter<DomainEvents> {
  readonly control: DomainControl;
  private readonly attached: AttachedDomain;
  private readonly consoleIn: ByteRing;
  private dm: DomainThread | undefined;
  /** Started vCPUs' workers, by vCPU id. */
  private readonly vcpuWorkers = new Map<number, DomainThread>();
  private vcpusDown = new Set<number>();
  private outcomeValue: DomainOutcome | undefined;
  private readonly outcomePromise: Promise<DomainOutcome>;
  private resolveOutcome!: (o: DomainOutcome) => void;
  private startedAt = 0;
  private endedAt = 0;
  /** Workers that did not leave their loop within the grace period and had to be terminated. */
  forcedTerminations = 0;
  private destroying: Promise<void> | undefined;
  /** Every worker started, and a promise of its exit. */
  private readonly exits = new Map<DomainThread, Promise<void>>();

  constructor(
    readonly config: DomainConfig,
    private readonly startThread: ThreadStarter = newWorker,
  ) {
    super();
    this.control = new DomainControl(config.control, config.vcpus);
    this.attached = attachDomainSharedMemory(config.io);
    this.consoleIn = new ByteRing(config.consoleIn);
    this.outcomePromise = new Promise((resolve) => (this.resolveOutcome = resolve));
  }

  get domid(): number {
    return this.config.domid;
  }

  /**
   * Start the device model and vCPU 0 together (each worker takes tens of milliseconds to boot),
   * vCPU 0 paused until the device model serves requests: no guest instruction runs before its
   * devices exist.
   */
  async start(): Promise<void> {
    this.control.setRequest(REQ_PAUSE, true);
    this.dm = this.spawn(DM_WORKER, this.config);
    // vCPU 0 starts at the kernel entry; the guest starts the others (VCPUOP_up → 'vcpu-up').
    this.vcpuWorkers.set(0, this.spawn(VCPU_WORKER, { config: this.config, vcpu: 0 }));
    await new Promise<void>((resolve, reject) => {
      const onMessage = (raw: Uint8Array): void => {
        if (decodeSafe(raw)?.kind === 'ready') {
          this.dm!.off('message', onMessage);
          resolve();
        }
      };
      this.dm!.on('message', onMessage);
      this.dm!.once('error', reject);
      this.dm!.once('exit', (code) => reject(new Error(`device model exited during start-up (status ${code})`)));
    });
    this.startedAt = performance.now();
    this.control.setRequest(REQ_PAUSE, false);
  }

  /** Resolves once the domain has shut down, crashed, or been destroyed. */
  outcome(): Promise<DomainOutcome> {
    return this.outcomePromise;
  }

  /** Wall time from the vCPUs' start to the outcome (or now), ms. */
  wallMs(): number {
    if (!this.startedAt) return 0;
    return (this.endedAt || performance.now()) - this.startedAt;
  }

  pause(): void {
    this.control.setRequest(REQ_PAUSE, true);
    this.kickAll();
  }

  unpause(): void {
    this.control.setRequest(REQ_PAUSE, false);
    this.kickAll();
  }

  /** Host bytes for COM1 (the device model picks them up when it next wakes). */
  sendConsoleInput(bytes: Uint8Array): number {
    const n = this.consoleIn.write(bytes);
    this.attached.dmEventChannels.setPending(this.config.dmControlPort);
    return n;
  }

  /** Stop every thread of the domain; resolves when they have all exited. Safe to call repeatedly. */
  destroy(): Promise<void> {
    this.destroying ??= this.doDestroy();
    return this.destroying;
  }

  private async doDestroy(): Promise<void> {
    // After a shutdown the device model posts its message before it answers the request that
    // caused it: let the vCPUs take that answer and park, so the last instruction retires in
    // every run (whoever calls destroy first).
    if (this.control.requests() & REQ_SHUTDOWN) await this.settleVcpus();
    this.control.setRequest(REQ_DESTROY, true);
    this.kickAll();
    await Promise.all(
      [...this.exits.entries()].map(async ([w, exited]) => {
        const timer = setTimeout(() => {
          this.forcedTerminations++;
          void w.terminate();
        }, DESTROY_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
    this.settle({ kind: 'destroyed' });
  }

  /** Counters of every thread, read from shared memory (no message round trip). */
  counters(): { vcpus: Record<string, number>[]; dm: Record<string, number> } {
    const vcpus: Record<string, number>[] = [];
    for (let v = 0; v < this.config.vcpus; v++) {
      const c = vcpuCounters(this.config.stats, v);
      vcpus.push(Object.fromEntries(VCPU_COUNTERS.map((n, i) => [n, c[i]!])));
    }
    const d = dmCounters(this.config.stats, this.config.vcpus);
    return { vcpus, dm: Object.fromEntries(DM_COUNTERS.map((n, i) => [n, d[i]!])) };
  }

  /** Wait (briefly) until no vCPU is running or blocked on the device model. */
  private async settleVcpus(): Promise<void> {
    const quiet = [RunState.SHUTDOWN, RunState.DOWN, RunState.DEAD, RunState.PAUSED, RunState.HALTED];
    const deadline = performance.now() + SHUTDOWN_SETTLE_MS;
    for (;;) {
      let settled = true;
      for (const v of this.vcpuWorkers.keys()) if (!quiet.includes(this.control.state(v))) settled = false;
      if (settled || performance.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** Wake every thread wherever it sleeps: kicks (running, HLT), Xen wake-ups (ioreq), the DM's port. */
  private kickAll(): void {
    const { irqLines, guestEventChannels, ioreq, dmEventChannels } = this.attached;
    for (let v = 0; v < this.config.vcpus; v++) {
      irqLines.kick(v);
      guestEventChannels.setPending(ioreq.eventPort(v));
    }
    dmEventChannels.setPending(this.config.dmControlPort);
  }

  private spawn(url: URL, workerData: unknown): DomainThread {
    const w = this.startThread(url, workerData);
    this.exits.set(w, new Promise((resolve) => w.once('exit', () => resolve())));
    w.on('message', (raw: Uint8Array) => this.onMessage(raw));
    w.on('error', (err: unknown) => {
      this.settle({
        kind: 'crash',
        report: { reason: `worker failed: ${describeThrown(err)}`, vcpu: 0, eip: 0, instructionBytes: new Uint8Array(), exits: {} },
      });
      void this.destroy();
    });
    return w;
  }

  private onMessage(raw: Uint8Array): void {
    const m = decodeSafe(raw);
    if (!m) return;
    switch (m.kind) {
      case 'console':
        this.emit('console', m.bytes);
        return;
      case 'shutdown':
        if (m.exitStatus !== undefined) this.settle({ kind: 'debug-exit', status: m.exitStatus });
        else this.settle({ kind: 'shutdown', reason: m.reason });
        void this.destroy();
        return;
      case 'crash':
        this.settle({ kind: 'crash', report: m.report });
        void this.destroy();
        return;
      case 'vcpu-up':
        // The hypervisor let this vCPU be claimed once (hypercalls.ts); a domain on its way out starts nothing.
        if (this.destroying || this.outcomeValue || this.vcpuWorkers.has(m.vcpu) || m.vcpu >= this.config.vcpus) return;
        this.vcpuWorkers.set(m.vcpu, this.spawn(VCPU_WORKER, { config: this.config, vcpu: m.vcpu, start: { eip: m.eip, esp: m.esp } }));
        return;
      case 'vcpu-down':
        this.vcpusDown.add(m.vcpu);
        // Xen powers the domain off once every vCPU is down (a vCPU never started counts as down).
        if (this.vcpusDown.size === this.vcpuWorkers.size) {
          this.settle({ kind: 'shutdown', reason: 'poweroff' });
          void this.destroy();
        }
        return;
      default:
        return;
    }
  }

  /** The first outcome wins: a debug exit followed by the vCPU going down is still the debug exit. */
  private settle(o: DomainOutcome): void {
    if (this.outcomeValue) return;
    this.outcomeValue = o;
    this.endedAt = performance.now();
    this.emit('outcome', o);
    this.resolveOutcome(o);
  }
}

function decodeSafe(raw: Uint8Array): ControlMessage | undefined {
  try {
    return decodeControlMessage(raw);
  } catch {
    return undefined;
  }
}
