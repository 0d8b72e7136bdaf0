/**
 * A device-model worker under test, with the test thread playing the toolstack and the
 * hypervisor: it builds a DomainConfig (guest RAM and p2m, the domain's shared memory with the
 * ioreq server's ports, ranges/control/stats/console-input buffers, a control port in the
 * device model's event-channel table), starts the compiled worker from dist/, and then issues
 * ioreqs as a vCPU would (fill the slot, READY, notify, wait for IORESP_READY).
 *
 * Two ways to start it: the real entry (dist/device-model/dm-worker.js, messages on the worker's
 * parentPort), or the same runDeviceModel posting to a MessagePort the test holds
 * (test/fixtures/dm-worker-on-port.mjs), which records each slot's state at the moment a message
 * was posted and lets the test take messages synchronously (receiveMessageOnPort): that is how
 * "message before the response" is checked without racing the event loop.
 */
import { multibootBootState } from '../../toolstack/multiboot-boot-state.js';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { createP2mBuffer, P2mType, PAGE_SIZE } from '../../shared/p2m.js';
import { BufferedIoreqProducer } from '../../shared/buffered-ioreq.js';
import { ByteRing } from '../../shared/byte-ring.js';
import { decodeControlMessage, type ControlMessage } from '../../shared/control-messages.js';
import type { DomainConfig } from '../../shared/domain-config.js';
import { DomainControl, REQ_DESTROY } from '../../shared/domain-control.js';
import { PRODUCER_LOCK_INDEX, type AttachedDomain } from '../../shared/domain-layout.js';
import { IoreqServerRanges } from '../../shared/ioreq-server-ranges.js';
import { IOREQ_TYPE_PIO, IOREQ_WRITE, IoreqRecord, STATE_IORESP_READY } from '../../shared/ioreq.js';
import { DM_COUNTER_INDEX, dmCounters, type DmCounter } from '../../shared/run-stats.js';
import { createDomainChannels } from '../../toolstack/domain-builder.js';

const root = new URL('../../', import.meta.url);
const DM_WORKER = new URL('dist/device-model/dm-worker.js', root);
const DM_ON_PORT = new URL('test/fixtures/dm-worker-on-port.mjs', root);

/** Hang detectors, not timings: a healthy answer takes microseconds. */
const RESPONSE_TIMEOUT_MS = 10_000;
const MESSAGE_TIMEOUT_MS = 10_000;

/** Throws unless every device-model source has a compiled file in dist/ at least as new. */
export function requireFreshBuild(): void {
  const dirs = ['device-model', 'device-model/devices', 'shared'];
  for (const dir of dirs) {
    for (const name of readdirSync(new URL(`${dir}/`, root))) {
      if (!name.endsWith('.ts')) continue;
      const ts = new URL(`${dir}/${name}`, root);
      const js = new URL(`dist/${dir}/${name.replace(/\.ts$/, '.js')}`, root);
      if (!existsSync(js) || statSync(js).mtimeMs < statSync(ts).mtimeMs) {
        throw new Error(`dist/${dir}/${name.replace(/\.ts$/, '.js')} is missing or older than its source: run \`npm run build\` first`);
      }
    }
  }
}

export interface IoreqFields {
  type?: number;
  dir?: number;
  size?: number;
  count?: number;
  addr?: number;
  /** PCI_CONFIG addressing instead of `addr`. */
  sbdf?: number;
  data?: number;
  dataHigh?: number;
  dataIsPtr?: boolean;
  df?: boolean;
}

export interface DmFixtureOptions {
  vcpus?: number;
  /** Guest RAM bytes (default 2 MiB); the VGA hole 0xA0000–0xBFFFF is mmio_dm in the p2m. */
  ramBytes?: number;
  spin?: number;
}

/** A domain with no display: runDeviceModel leaves the VGA out when the config has none. */
export type DeviceModelOnlyConfig = Omit<DomainConfig, 'vga'> & { vga?: DomainConfig['vga'] };

export class DmFixture {
  readonly config: DeviceModelOnlyConfig;
  /** The hypervisor's view of the domain's shared memory. */
  readonly domain: AttachedDomain;
  readonly ram: Uint8Array;
  readonly p2m: Uint8Array;
  readonly ranges: IoreqServerRanges;
  readonly control: DomainControl;
  readonly counters: Float64Array;
  readonly consoleIn: ByteRing;
  readonly buffered: BufferedIoreqProducer;
  /** Every message the device model sent, decoded, in arrival order. */
  readonly messages: ControlMessage[] = [];
  /** startOnPort only: per message, each ioreq slot's state when it was posted. */
  readonly slotStatesAtPost: number[][] = [];
  worker: Worker | undefined;
  exitCode: number | undefined;
  private port: MessagePort | undefined;
  private failure: Error | undefined;

  constructor(options: DmFixtureOptions = {}) {
    const vcpus = options.vcpus ?? 1;
    const ramBytes = options.ramBytes ?? 2 << 20;
    const domid = 1;
    const channels = createDomainChannels(domid, vcpus);
    this.domain = channels.attached;
    const ram = new SharedArrayBuffer(ramBytes);
    const p2m = createP2mBuffer();
    this.ram = new Uint8Array(ram);
    this.p2m = new Uint8Array(p2m);
    this.p2m.fill(P2mType.RAM_RW, 0, ramBytes / PAGE_SIZE);
    this.p2m.fill(P2mType.MMIO_DM, 0xa0000 / PAGE_SIZE, 0xc0000 / PAGE_SIZE);
    this.config = {
      domid,
      name: 'dm-under-test',
      vcpus,
      ram,
      p2m,
      io: channels.io,
      ranges: channels.ranges,
      control: channels.control,
      stats: channels.stats,
      hvmParams: channels.hvmParams,
      consoleIn: channels.consoleIn,
      dmControlPort: channels.dmControlPort,
      boot: multibootBootState(0, 0), // no vCPU runs here
      spin: options.spin ?? 0,
      adaptiveSpin: false,
    };
    this.ranges = new IoreqServerRanges(this.config.ranges);
    this.control = new DomainControl(this.config.control, vcpus);
    this.counters = dmCounters(this.config.stats, vcpus);
    this.consoleIn = new ByteRing(this.config.consoleIn);
    this.buffered = new BufferedIoreqProducer(channels.io.bufferedPage, this.domain.producerLock, PRODUCER_LOCK_INDEX);
  }

  /** Start the real worker entry and wait for its 'ready'. */
  async start(): Promise<void> {
    const worker = new Worker(DM_WORKER, { workerData: this.config });
    worker.on('message', (bytes: Uint8Array) => this.record(bytes));
    this.watch(worker);
    await this.waitFor((m) => m.kind === 'ready');
    await this.settled();
  }

  /** Start runDeviceModel posting to a port this thread reads synchronously; wait for 'ready'. */
  async startOnPort(): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const worker = new Worker(DM_ON_PORT, { workerData: { config: this.config, port: port2 }, transferList: [port2] });
    this.watch(worker);
    await this.waitFor((m) => m.kind === 'ready');
    await this.settled();
  }

  /**
   * Wait until the device model has taken the events its own binding raised (bind_interdomain
   * sets the new ports pending) and sleeps, so a test's first request starts from a quiet loop.
   */
  private async settled(): Promise<void> {
    const quiet = () => this.counter('wakeups') >= 1 && this.domain.dmEventChannels.upcallSleepers(0) > 0;
    for (let turns = 0; !quiet(); turns++) {
      if (this.failure) throw this.failure;
      if (this.exitCode !== undefined || turns * 2 > MESSAGE_TIMEOUT_MS) throw new Error('device model never went idle after ready');
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  private watch(worker: Worker): void {
    this.worker = worker;
    worker.on('error', (err) => (this.failure = err));
    worker.on('exit', (code) => (this.exitCode = code));
  }

  private record(bytes: Uint8Array): void {
    try {
      this.messages.push(decodeControlMessage(bytes));
    } catch (err) {
      this.failure = err as Error;
    }
  }

  /** Take the messages already posted to the port (startOnPort only), without yielding. */
  collect(): void {
    if (!this.port) return;
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
      const { bytes, slotStates } = m.message as { bytes: Uint8Array; slotStates: number[] };
      this.record(bytes);
      this.slotStatesAtPost.push(slotStates);
    }
  }

  /** The first message (in order) matching `match`, waiting for it if need be. */
  async waitFor(match: (m: ControlMessage) => boolean, what = 'the expected message'): Promise<ControlMessage> {
    for (let turns = 0; ; turns++) {
      this.collect();
      if (this.failure) throw this.failure;
      const found = this.messages.find(match);
      if (found) return found;
      if (this.exitCode !== undefined) throw new Error(`device model exited (${this.exitCode}) before ${what}; got ${this.describeMessages()}`);
      if (turns * 5 > MESSAGE_TIMEOUT_MS) throw new Error(`no ${what}; got ${this.describeMessages()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  describeMessages(): string {
    return JSON.stringify(this.messages.map((m) => (m.kind === 'console' ? { kind: 'console', text: Buffer.from(m.bytes).toString('latin1') } : m)));
  }

  /** Console output received so far, as text. */
  consoleText(): string {
    this.collect();
    return this.messages.map((m) => (m.kind === 'console' ? Buffer.from(m.bytes).toString('latin1') : '')).join('');
  }

  counter(name: DmCounter): number {
    return this.counters[DM_COUNTER_INDEX[name]]!;
  }

  /** Fill the vCPU's slot, mark it READY and notify the device model (no wait). */
  publish(vcpu: number, fields: IoreqFields): void {
    const rec = new IoreqRecord();
    rec.type = fields.type ?? IOREQ_TYPE_PIO;
    rec.dir = fields.dir ?? IOREQ_WRITE;
    rec.size = fields.size ?? 1;
    rec.count = fields.count ?? 1;
    if (fields.sbdf !== undefined) rec.setPciConfig(fields.sbdf, fields.addr ?? 0);
    else rec.addr = fields.addr ?? 0;
    rec.dataLow = (fields.data ?? 0) >>> 0;
    rec.dataHigh = (fields.dataHigh ?? 0) >>> 0;
    rec.dataIsPtr = fields.dataIsPtr ?? false;
    rec.df = fields.df ?? false;
    this.domain.ioreq.publish(vcpu, rec);
    this.notify(vcpu);
  }

  /** Send on the vCPU's ioreq port, as Xen does after posting. */
  notify(vcpu: number): void {
    this.domain.guestEventChannels.send(this.domain.ioreq.eventPort(vcpu));
  }

  /**
   * Block (this thread, as a vCPU blocked in Xen) until the response is ready; false on the hang
   * timeout. `spins` > 0 polls the slot that many times before each sleep, so a response is seen
   * within a fraction of a microsecond (a futex wake-up alone takes ~20 µs).
   */
  awaitResponse(vcpu: number, spins = 0, timeoutMs = RESPONSE_TIMEOUT_MS): boolean {
    const ev = this.domain.guestEventChannels;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const seen = ev.xenWakeSequence(vcpu);
      for (let i = 0; i < spins; i++) if (this.domain.ioreq.state(vcpu) === STATE_IORESP_READY) break;
      if (this.domain.ioreq.pollResponse(vcpu)) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      ev.waitXenWake(vcpu, seen, 0, Math.min(left, 100));
    }
  }

  /** A synchronous ioreq: publish, wait, take the response and return its data (low, high). */
  request(vcpu: number, fields: IoreqFields): { low: number; high: number } {
    this.publish(vcpu, fields);
    if (!this.awaitResponse(vcpu)) throw new Error(`no response to ${JSON.stringify(fields)}`);
    const out = new IoreqRecord();
    this.domain.ioreq.takeResponse(vcpu, out);
    return { low: out.dataLow, high: out.dataHigh };
  }

  /** Set the control port pending, as the toolstack does to wake the device model. */
  wake(): void {
    this.domain.dmEventChannels.setPending(this.config.dmControlPort);
  }

  /** REQ_DESTROY and a wake-up; resolves with the worker's exit code once the thread has ended. */
  async destroy(): Promise<number> {
    const worker = this.worker;
    if (!worker) throw new Error('not started');
    const exited = this.exitCode !== undefined ? Promise.resolve(this.exitCode) : new Promise<number>((r) => worker.once('exit', r));
    this.control.setRequest(REQ_DESTROY, true);
    this.wake();
    return exited;
  }

  /** Always safe: ends the worker if it still runs (afterEach). */
  async dispose(): Promise<void> {
    this.port?.close();
    if (this.worker && this.exitCode === undefined) await this.worker.terminate();
    this.worker = undefined;
  }
}
