/**
 * A vCPU driven from the test thread against a real device-model worker: the domain is built by
 * the toolstack's builder, the compiled device model serves it (dist/device-model/dm-worker.js),
 * and the test calls the vCPU's Cpu.run itself, so every exit goes through the exit table, the
 * vCPU's handlers and its ioreq client exactly as in a hypervisor worker. The ioreqs the client
 * sends and posts are recorded (a spy on IoreqClient) so tests can check their sizes and
 * addresses.
 */
import { Worker } from 'node:worker_threads';
import { vi } from 'vitest';
import { decodeControlMessage, type ControlMessage } from '../../shared/control-messages.js';
import type { DomainConfig } from '../../shared/domain-config.js';
import { DomainControl, REQ_DESTROY } from '../../shared/domain-control.js';
import { attachDomainSharedMemory } from '../../shared/domain-layout.js';
import { IOREQ_READ } from '../../shared/ioreq.js';
import type { VgaMode } from '../../shared/vga-config.js';
import { VCPU_COUNTER_INDEX, type VcpuCounter } from '../../shared/run-stats.js';
import { Cpu } from '../../hypervisor/cpu/cpu.js';
import { IoreqClient } from '../../hypervisor/ioreq-client.js';
import { Vcpu } from '../../hypervisor/vcpu.js';
import { buildDomain } from '../../toolstack/domain-builder.js';
import { parseGuestImage } from '../../toolstack/elf-loader.js';
import { DM_WORKER } from '../../toolstack/worker-urls.js';
import { tinyGuestElf } from './tiny-guest.js';

export interface RecordedIoreq {
  kind: 'sync' | 'buffered';
  type: number;
  addr: number;
  size: number;
  count: number;
  dir: 'read' | 'write';
  dataIsPtr: boolean;
}

export class VcpuHarness {
  readonly ioreqs: RecordedIoreq[] = [];
  private readonly restore: (() => void)[] = [];

  private constructor(
    readonly config: DomainConfig,
    readonly vcpu: Vcpu,
    private readonly dm: Worker,
    readonly messages: ControlMessage[],
  ) {}

  /**
   * Build a domain whose vCPU 0 starts at the bytes `code(config)` returns (they may use the
   * LFB's address), start its device model and create vCPU 0 in this thread.
   */
  static async start(opts: { vga?: VgaMode; code: (config: DomainConfig) => number[]; compileThreshold?: number }): Promise<VcpuHarness> {
    const image = parseGuestImage(tinyGuestElf([0xf4]), { ramBytes: 4 << 20 });
    const config = buildDomain(image, { domid: 7, name: 'vcpu-harness', memoryMiB: 4, vga: opts.vga ?? 'trap' });
    new Uint8Array(config.ram).set(opts.code(config), config.boot.eip);
    const messages: ControlMessage[] = [];
    const dm = new Worker(DM_WORKER, { workerData: config });
    await new Promise<void>((resolve, reject) => {
      dm.on('message', (raw: Uint8Array) => {
        const m = decodeControlMessage(raw);
        messages.push(m);
        if (m.kind === 'ready') resolve();
      });
      dm.once('error', reject);
      dm.once('exit', (code) => reject(new Error(`device model exited during start-up (status ${code})`)));
    });
    const saved = Cpu.defaultCompileThreshold;
    Cpu.defaultCompileThreshold = opts.compileThreshold ?? saved;
    let vcpu: Vcpu;
    try {
      vcpu = new Vcpu({ config, vcpu: 0, post: (m) => messages.push(m) });
    } finally {
      Cpu.defaultCompileThreshold = saved;
    }
    const h = new VcpuHarness(config, vcpu, dm, messages);
    h.spyOnIoreqs();
    return h;
  }

  private spyOnIoreqs(): void {
    const log = this.ioreqs;
    const send = vi.spyOn(IoreqClient.prototype, 'send').mockImplementation(function (this: IoreqClient) {
      const r = this.req;
      log.push({ kind: 'sync', type: r.type, addr: r.addrLow >>> 0, size: r.size, count: r.count, dir: r.dir === IOREQ_READ ? 'read' : 'write', dataIsPtr: r.dataIsPtr });
      return realSend.call(this);
    });
    const post = vi.spyOn(IoreqClient.prototype, 'post').mockImplementation(function (this: IoreqClient, type, addr, size, value, valueHigh) {
      const ok = realPost.call(this, type, addr, size, value, valueHigh);
      if (ok) log.push({ kind: 'buffered', type, addr: addr >>> 0, size, count: 1, dir: 'write', dataIsPtr: false });
      return ok;
    });
    this.restore.push(() => send.mockRestore(), () => post.mockRestore());
  }

  /** Run the guest until it stops (HLT) or `budget` instructions have retired. */
  run(budget = 1_000_000): void {
    this.vcpu.cpu.run(budget);
    if (this.vcpu.cpu.crash) throw new Error(`the guest crashed: ${this.vcpu.cpu.crash.reason}`);
  }

  counter(name: VcpuCounter): number {
    return this.vcpu.counters[VCPU_COUNTER_INDEX[name]]!;
  }

  /** Destroy the domain and wait for the device model to leave. */
  async stop(): Promise<void> {
    for (const r of this.restore.splice(0)) r();
    const control = new DomainControl(this.config.control, this.config.vcpus);
    control.setRequest(REQ_DESTROY, true);
    attachDomainSharedMemory(this.config.io).dmEventChannels.setPending(this.config.dmControlPort);
    const exited = new Promise<void>((resolve) => this.dm.once('exit', () => resolve()));
    const timer = setTimeout(() => void this.dm.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  }
}

// The client's own methods, taken before any spy replaces them.
const realSend = IoreqClient.prototype.send;
const realPost = IoreqClient.prototype.post;
