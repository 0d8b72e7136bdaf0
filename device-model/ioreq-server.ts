/**
 * The device model's ioreq server loop, as qemu-dm's cpu_handle_ioreq (qemu-dm's helper2.c;
 * QEMU's hw/xen/xen-hvm-common.c): sleep on the device model's event-channel word, and for every port that fired —
 *
 * - the control port (the toolstack's wake-up for REQ_DESTROY, or after queueing console input):
 *   unmask it; requests are checked every iteration;
 * - the bufioreq port: unmask it and drain the buffered ring;
 * - a vCPU's port: unmask it, claim the slot (READY → INPROCESS; a free slot is a stale
 *   notification and is dropped, any other state is a protocol violation), drain the buffered
 *   ring first so earlier buffered writes stay ordered before this request, read, check,
 *   dispatch, answer (IORESP_READY) and notify the vCPU. A vCPU spinning on its slot (its
 *   polling flag up) is not notified, and its slot is claimed in the same burst of stores as the
 *   answer (IoreqPage.claimAndRespond) rather than before dispatch.
 *
 * Everything else the loop does comes from its sources (loop-source.ts): console traffic, input
 * replay, the display refresh, later disks and back ends. Each gives a next deadline and the
 * ports it wakes on; the loop sleeps until the earliest deadline or an event (with no deadline,
 * until an event: nothing polls while the guest idles); around the events of a wake-up, and
 * before it sleeps, it polls every source that is due or was woken, with the buffered ring
 * drained first so posted writes are in what they see. While requests stream in by polling,
 * the sources are looked at about every POLLED_HOUSEKEEPING_MS instead of after each request.
 * The `wakeups` counter counts every return from the wait (event or deadline) and every request
 * found by polling.
 *
 * Requests are served one at a time, as by qemu-dm's single thread: with several vCPUs, one that
 * was published while the server was busy with another counts as queued, with its wait from
 * publication (the vCPU's stamp, hypervisor/vcpu.ts) to being taken up. On
 * destroy each source finishes (the display: a last refresh, and its screenshot starts); the
 * loop returns at once and that work finishes on the thread's event loop.
 *
 * The loop never throws. A bad request, a corrupt buffered ring, a protocol violation or a
 * device fault crashes the domain: a crash message goes to the toolstack, the request is never
 * answered, and the server stops serving — it masks the guest's ports and only listens on the
 * control port until the toolstack destroys the domain, so a guest that keeps notifying cannot
 * make it spin.
 */
import { AdaptiveSpin } from '../shared/adaptive-spin.js';
import { TimingSampler } from '../shared/timing-sampler.js';
import { BufferedIoreqConsumer, BufferedIoreqError, type BufferedIoreqHandler } from '../shared/buffered-ioreq.js';
import { REQ_DESTROY, RunState, type DomainControl } from '../shared/domain-control.js';
import { DM_POLLING_INDEX, vcpuPollingIndex, type AttachedDomain, type IoreqServerBinding } from '../shared/domain-layout.js';
import { IoreqProtocolError, IoreqRecord, STATE_IOREQ_INPROCESS, STATE_IOREQ_NONE, STATE_IOREQ_READY, STATE_IORESP_READY } from '../shared/ioreq.js';
import { EVTCHN_NR_PORTS } from '../shared/event-channel.js';
import { hostNowNs } from '../shared/host-clock.js';
import { DM_COUNTER_INDEX } from '../shared/run-stats.js';
import { MAX_SPINS, waitStats } from '../shared/wait.js';

const NOTHING_YET = -1;
const UPCALL = -2;
import { BadIoreqError, describeIoreq, type IoreqDispatcher } from './ioreq-dispatch.js';
import type { LoopSource } from './loop-source.js';
import type { ToolstackOutbox } from './toolstack-outbox.js';

/**
 * While requests arrive back to back (found by polling), the loop looks at its sources — each
 * needing the clock or other threads' words — about this often (ms) instead of after each
 * request: they are due when a timed request (about one in 16, serveDirectly) finishes past
 * this interval.
 */
const POLLED_HOUSEKEEPING_MS = 0.5;

const STATE_NAMES = ['NONE', 'READY', 'INPROCESS', 'IORESP_READY'];

const C_SERVED = DM_COUNTER_INDEX.ioreqs_served;
const C_BUFFERED = DM_COUNTER_INDEX.buffered_served;
const C_BAD = DM_COUNTER_INDEX.bad_requests;
const C_WAKEUPS = DM_COUNTER_INDEX.wakeups;
const C_BUSY_NS = DM_COUNTER_INDEX.busy_ns;
const C_QUEUED = DM_COUNTER_INDEX.queued_requests;
const C_QUEUE_WAIT = DM_COUNTER_INDEX.queue_wait_ns;

export interface IoreqServerParts {
  readonly domain: AttachedDomain;
  readonly binding: IoreqServerBinding;
  readonly dispatcher: IoreqDispatcher;
  readonly outbox: ToolstackOutbox;
  readonly control: DomainControl;
  /** dmCounters (shared/run-stats.ts). */
  readonly counters: Float64Array;
  /** The device model's local port the toolstack sets pending to wake it. */
  readonly controlPort: number;
  /** Spin budget before sleeping (DomainConfig.spin). */
  readonly spin: number;
  /** Let the spin budget follow what spinning buys (shared/adaptive-spin.ts); default true. */
  readonly adaptiveSpin?: boolean;
  /** Console, input replay, display...: polled when due or woken (loop-source.ts). */
  readonly sources: readonly LoopSource[];
  /**
   * Per vCPU, the host time (ns, hostNowNs) its current request was published; present with
   * several vCPUs, for the queueing counters.
   */
  readonly ioreqStamps?: Float64Array;
}

export class IoreqServer {
  /** Notifications that found the slot free (stale or spurious), dropped as QEMU does. */
  notReady = 0;
  private crashed = false;
  private readonly req = new IoreqRecord();
  private readonly fired = new Int32Array(64);
  private readonly buffered: BufferedIoreqConsumer;
  private readonly spinner: AdaptiveSpin;
  private readonly drainHandler: BufferedIoreqHandler;
  /** Each vCPU slot's vp_eport as Xen wrote it at setup. */
  private readonly slotPorts: Int32Array;
  private readonly thread: number;
  // What is being served, for crash reports: the vCPU (-1 none), whether `req` holds its
  // request, and whether the buffered ring is being drained.
  private servingVcpu = -1;
  private requestRead = false;
  private draining = false;
  /** Host ns when the server last finished serving (a request or a refresh). */
  private busyEndNs = 0;
  /** Whether this thread's notify-avoidance flag (DM_POLLING_INDEX) is up. */
  private pollingFlagUp = false;
  /** Which polled requests' service is timed. */
  private readonly timing = new TimingSampler(0x2545f491);
  /** performance.now() when a timed serveDirectly last finished, and when housekeeping is due again. */
  private lastServedAt = 0;
  private housekeepingDue = 0;
  /** Per port of the device model's table, the indices of the sources it wakes. */
  private readonly portSources: (number[] | undefined)[] = [];
  /** Per source: one of its ports fired since its last poll. */
  private readonly woken: boolean[];
  /** The earliest deadline the sources gave when last polled. */
  private sourcesDeadline = Infinity;

  constructor(private readonly parts: IoreqServerParts) {
    const { domain, dispatcher, spin, controlPort } = parts;
    // Checked here, once: a wait that throws on every iteration would turn the loop into a spin.
    if (!(Number.isInteger(spin) && spin >= 0 && spin <= MAX_SPINS)) {
      throw new RangeError(`ioreq server: spin must be an integer 0..${MAX_SPINS}, got ${spin}`);
    }
    if (!(Number.isInteger(controlPort) && controlPort > 0 && controlPort < EVTCHN_NR_PORTS)) {
      throw new RangeError(`ioreq server: bad control port ${controlPort}`);
    }
    this.spinner = new AdaptiveSpin(spin, parts.adaptiveSpin ?? true);
    this.buffered = new BufferedIoreqConsumer(domain.memory.bufferedPage);
    this.drainHandler = (type, addr, size, value, valueHigh) => dispatcher.bufferedWrite(type, addr, size, value, valueHigh);
    this.slotPorts = new Int32Array(domain.memory.vcpus);
    for (let v = 0; v < domain.memory.vcpus; v++) this.slotPorts[v] = domain.ioreq.eventPort(v);
    this.thread = domain.memory.vcpus; // DomainControl: the device model's run state follows the vCPUs'
    this.woken = parts.sources.map(() => false);
    parts.sources.forEach((source, i) => {
      for (const port of source.ports) {
        if (!(Number.isInteger(port) && port > 0 && port < EVTCHN_NR_PORTS)) throw new RangeError(`ioreq server: ${source.name}: bad port ${port}`);
        (this.portSources[port] ??= []).push(i);
      }
    });
  }

  /**
   * Serve until the toolstack sets REQ_DESTROY (the caller has set the run state RUNNING).
   * Returns the display's end-of-run work, if any, for the thread to let finish.
   */
  run(): Promise<void> | undefined {
    const { control, outbox } = this.parts;
    while (!(control.requests() & REQ_DESTROY)) this.step();
    outbox.flushConsole();
    const finishing = this.finishSources();
    control.setState(this.thread, RunState.DEAD);
    return finishing;
  }

  /**
   * One round of the loop — the events of one wake-up, or one request found by polling — and,
   * unless it was one of a stream of polled requests, the sources that are due or woken.
   * Never throws.
   */
  step(): void {
    if (this.handleEvents() && this.lastServedAt < this.housekeepingDue) return;
    this.housekeepingDue = this.lastServedAt + POLLED_HOUSEKEEPING_MS;
    this.runSources();
  }

  /**
   * Poll every source that is due or was woken (the buffered ring drained first, once, if any
   * is), and note the earliest deadline they give afterwards. Returns whether it polled any.
   * Never throws.
   */
  private runSources(): boolean {
    if (this.crashed) {
      this.sourcesDeadline = Infinity;
      return false;
    }
    const sources = this.parts.sources;
    const woken = this.woken;
    let now = performance.now();
    let drained = false;
    let polled = false;
    let next = Infinity;
    for (let i = 0; i < sources.length; i++) {
      const source = sources[i]!;
      try {
        const wake = woken[i]!;
        if (wake || source.nextDeadline(now) <= now) {
          if (!drained) {
            this.drainBuffered();
            drained = true;
          }
          woken[i] = false;
          source.poll(now, wake);
          polled = true;
          now = performance.now();
        }
        next = Math.min(next, source.nextDeadline(now));
      } catch (err) {
        this.crash(err);
        this.sourcesDeadline = Infinity;
        return true;
      }
    }
    this.sourcesDeadline = next;
    // A refresh kept the server busy: a request published meanwhile queued behind it.
    if (polled && this.parts.ioreqStamps !== undefined) this.busyEndNs = hostNowNs();
    return polled;
  }

  /** Returns true when it served a request found by polling (the fast path: no sleep, no clock). */
  private handleEvents(): boolean {
    const { domain, counters } = this.parts;
    const dm = domain.dmEventChannels;
    let n = 0;
    try {
      const spins = this.spinner.spins;
      let pending = false;
      // A raised polling flag is lowered (and the slots looked at again) before any sleep, even
      // when the budget has dropped to nothing since it was raised.
      if (!this.crashed && (spins > 0 || this.pollingFlagUp)) {
        const polled = this.pollSlots(spins);
        if (polled !== NOTHING_YET) {
          waitStats.lastSlept = false;
          this.spinner.update();
        }
        if (polled >= 0) {
          this.serveDirectly(polled);
          return true;
        }
        pending = polled === UPCALL;
      }
      // An upcall seen while polling needs no wait (and the polling flag may still be up: only
      // a thread that goes to sleep must have lowered it).
      if (!pending) {
        // Deadlines are asked afresh right before the sleep (a request just served may have given
        // a source work: console bytes); work done counts as this round, and the slots are
        // looked at again before any sleep.
        if (this.runSources()) return false;
        const t0 = performance.now();
        const timeout = this.crashed ? Infinity : Math.max(0, this.sourcesDeadline - t0);
        const woke = dm.waitForEvents(0, 0, timeout);
        if (waitStats.lastSlept && !this.crashed) this.spinner.update(woke ? performance.now() - t0 : Infinity);
        if (!woke) {
          counters[C_WAKEUPS]++;
          return false;
        }
      }
      n = dm.fetchAndClear(0, this.fired, true);
    } catch (err) {
      this.crash(err);
      return false;
    }
    const start = performance.now();
    counters[C_WAKEUPS]++;
    // Sources first, as qemu-dm's main loop takes its other file descriptors in the same round:
    // console bytes queued while the loop slept are in the UART when the request that woke it
    // reads LSR. (Sources woken by this round's ports are polled after them, in step.)
    this.runSources();
    // One try per port: after a crash the rest are still looked at, so the control port is unmasked.
    for (let k = 0; k < n; k++) {
      try {
        this.handlePort(this.fired[k]!);
      } catch (err) {
        this.crash(err);
      }
    }
    counters[C_BUSY_NS] += Math.round((performance.now() - start) * 1e6);
    return false;
  }

  /**
   * Spin for up to `spins` rounds on the vCPUs' slots and the event-channel upcall, with the
   * polling flag up so vCPUs skip their notification meanwhile. Returns the vCPU whose slot is
   * READY (looked at first: its notification may be pending too, and is dropped as stale later),
   * UPCALL if an event arrived, or NOTHING_YET. The flag stays up unless nothing came: the next
   * poll follows at once, and storing it twice per request would move its cache line across
   * cores every round trip. With nothing found the loop sleeps next, so the flag comes down and
   * the slots are looked at once more: a request published while the flag was seen up is never
   * missed.
   */
  private pollSlots(spins: number): number {
    const { domain } = this.parts;
    const info = domain.serverInfo;
    const ioreq = domain.ioreq;
    const dm = domain.dmEventChannels;
    const vcpus = domain.memory.vcpus;
    if (spins > 0 && !this.pollingFlagUp) {
      Atomics.store(info, DM_POLLING_INDEX, 1);
      this.pollingFlagUp = true;
    }
    for (let i = 0; i < spins; i++) {
      for (let v = 0; v < vcpus; v++) if (ioreq.state(v) === STATE_IOREQ_READY) return v;
      if (dm.upcallPending(0)) return UPCALL;
    }
    this.lowerPollingFlag();
    for (let v = 0; v < vcpus; v++) if (ioreq.state(v) === STATE_IOREQ_READY) return v;
    return NOTHING_YET;
  }

  private lowerPollingFlag(): void {
    if (!this.pollingFlagUp) return;
    Atomics.store(this.parts.domain.serverInfo, DM_POLLING_INDEX, 0);
    this.pollingFlagUp = false;
  }

  /**
   * Serve a READY slot found by polling, as a notification would have had it served. Its busy
   * time is sampled (shared/timing-sampler.ts): two clock reads would cost a tenth of a round trip.
   */
  private serveDirectly(vcpu: number): void {
    const { binding, counters } = this.parts;
    const weight = this.timing.next();
    const start = weight === 0 ? 0 : performance.now();
    counters[C_WAKEUPS]++;
    try {
      this.serve(vcpu, binding.vcpuPorts[vcpu]!, STATE_IOREQ_READY);
    } catch (err) {
      this.crash(err);
    }
    if (weight === 0) return;
    this.lastServedAt = performance.now();
    counters[C_BUSY_NS] += Math.round((this.lastServedAt - start) * 1e6 * weight);
  }

  /** Each source's end-of-run work (after a crash too: the last picture is still worth a screenshot). */
  private finishSources(): Promise<void> | undefined {
    try {
      if (!this.crashed) this.drainBuffered();
    } catch (err) {
      this.crash(err);
    }
    const pending: Promise<void>[] = [];
    for (const source of this.parts.sources) {
      try {
        const p = source.finish?.();
        if (p !== undefined) pending.push(p);
      } catch {
        // A source that cannot finish (a display that cannot draw its last frame) leaves nothing behind.
      }
    }
    if (pending.length === 0) return undefined;
    return Promise.all(pending).then(() => undefined);
  }

  private handlePort(port: number): void {
    const { domain, binding, controlPort } = this.parts;
    const dm = domain.dmEventChannels;
    if (port === controlPort) {
      dm.unmask(port);
      this.wakeSources(port);
      return;
    }
    if (this.crashed) return; // stays masked: a dead server hears nothing but the control port
    if (port === binding.bufioreqPort) {
      dm.unmask(port);
      this.drainBuffered();
      this.wakeSources(port);
      return;
    }
    const vcpu = binding.vcpuOfPort[port]!;
    dm.unmask(port);
    if (vcpu >= 0) this.serve(vcpu, port);
    else this.wakeSources(port);
  }

  private wakeSources(port: number): void {
    const list = this.portSources[port];
    if (list !== undefined) for (const i of list) this.woken[i] = true;
  }

  /** Serve `vcpu`'s slot; `seen` is its state if this thread has just read it (polling). */
  private serve(vcpu: number, port: number, seen?: number): void {
    const { domain, dispatcher, counters } = this.parts;
    const ioreq = domain.ioreq;
    const req = this.req;
    const state = seen ?? ioreq.state(vcpu);
    // A notification can outlive its request: the vCPU's send may land after this thread has
    // already seen READY through an earlier (stale or re-delivered) event and answered, so the
    // slot is free again or still holds the answer. QEMU drops those ("I/O request not ready").
    if (state === STATE_IOREQ_NONE || state === STATE_IORESP_READY) {
      this.notReady++;
      return;
    }
    this.servingVcpu = vcpu;
    if (state !== STATE_IOREQ_READY) {
      throw new IoreqProtocolError(vcpu, state, `notified while the slot is ${STATE_NAMES[state] ?? `in unknown state ${state}`} (only READY may be)`);
    }
    // A vCPU spinning on its slot gets INPROCESS in the same burst of stores as the answer
    // (IoreqPage.claimAndRespond); one that sleeps, as a Xen vCPU does, sees the slot claimed
    // while its request is served.
    // A hint (a plain load): the notification below re-reads the flag with the Dekker ordering.
    const spinning = domain.serverInfo[vcpuPollingIndex(vcpu)] !== 0;
    if (!spinning && !ioreq.claim(vcpu)) throw new IoreqProtocolError(vcpu, ioreq.state(vcpu), 'slot changed while being claimed');
    const stamps = this.parts.ioreqStamps;
    if (stamps !== undefined) {
      // Published while another request (or a refresh) kept the server busy: it queued.
      const published = stamps[vcpu] ?? 0;
      if (published > 0 && published < this.busyEndNs) {
        counters[C_QUEUED]++;
        counters[C_QUEUE_WAIT] += hostNowNs() - published;
      }
    }
    this.drainBuffered();
    ioreq.read(vcpu, req);
    this.requestRead = true;
    if (req.vpEport !== this.slotPorts[vcpu]) {
      throw new IoreqProtocolError(vcpu, STATE_IOREQ_INPROCESS, `vp_eport is ${req.vpEport}, not the port ${this.slotPorts[vcpu]} Xen assigned`);
    }
    dispatcher.dispatch(req);
    if (spinning) ioreq.claimAndRespond(vcpu, req.dataLow, req.dataHigh);
    else ioreq.respond(vcpu, req.dataLow, req.dataHigh);
    this.requestRead = false;
    this.servingVcpu = -1;
    counters[C_SERVED]++;
    if (stamps !== undefined) this.busyEndNs = hostNowNs();
    // A vCPU spinning on its slot sees the answer without a notification.
    if (Atomics.load(domain.serverInfo, vcpuPollingIndex(vcpu)) === 0) domain.dmEventChannels.send(port);
  }

  private drainBuffered(): void {
    this.draining = true;
    this.parts.counters[C_BUFFERED] += this.buffered.drain(this.drainHandler);
    this.draining = false;
  }

  /** Crash the domain for `err` (once) and stop serving. Never throws. */
  private crash(err: unknown): void {
    const vcpu = this.servingVcpu;
    const request = this.requestRead ? ` (${describeIoreq(this.req)})` : '';
    const inBuffered = this.draining;
    this.servingVcpu = -1;
    this.requestRead = false;
    this.draining = false;
    if (this.crashed) return;
    this.crashed = true;
    const { outbox, control, counters } = this.parts;
    let reason: string;
    if (err instanceof BadIoreqError) {
      counters[C_BAD]++;
      reason = inBuffered ? `bad buffered ioreq: ${err.message}` : `bad ioreq from vCPU ${vcpu}: ${err.message}${request}`;
    } else if (err instanceof BufferedIoreqError) {
      counters[C_BAD]++;
      reason = `corrupt ${err.message}`;
    } else if (err instanceof IoreqProtocolError) {
      counters[C_BAD]++;
      reason = `ioreq protocol violation: ${err.message}${request}`;
    } else {
      const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      reason = `device model fault${inBuffered ? ' in a buffered write' : ''}: ${what}${request}`;
    }
    try {
      this.lowerPollingFlag(); // a dead server polls no more: vCPUs must not count on it
      // Stop hearing the guest's ports first (a port served just now was unmasked already), so
      // once the toolstack has the crash message the server is deaf to everything but control.
      const { binding, domain } = this.parts;
      for (let v = 0; v < binding.vcpuPorts.length; v++) domain.dmEventChannels.mask(binding.vcpuPorts[v]!);
      domain.dmEventChannels.mask(binding.bufioreqPort);
      control.setState(this.thread, RunState.DEAD);
      outbox.crash(reason, vcpu >= 0 ? vcpu : 0);
    } catch {
      // Nothing left to tell anyone; the loop keeps waiting for the destroy.
    }
  }
}
