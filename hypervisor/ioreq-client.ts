/**
 * The vCPU end of the ioreq channel (Xen's ioreq_send / wait_for_io): fill this vCPU's slot,
 * publish READY, notify the device model's port, and block until IORESP_READY — spinning
 * briefly, then sleeping on the vCPU's Xen wake-up word. Writes the device model need not answer
 * may go through the buffered ring instead (ioreq_send_buffered), falling back to a synchronous
 * request when the ring refuses them.
 */
import { DM_POLLING_INDEX, vcpuPollingIndex, type AttachedDomain } from '../shared/domain-layout.js';
import { BUFFERED_MAX_ADDR, BufferedIoreqProducer } from '../shared/buffered-ioreq.js';
import type { DomainControl } from '../shared/domain-control.js';
import { REQ_DESTROY, RunState } from '../shared/domain-control.js';
import { IoreqRecord, IOREQ_WRITE, STATE_IORESP_READY } from '../shared/ioreq.js';
import { waitStats } from '../shared/wait.js';
import { RunAbort } from './cpu/fault.js';
import { AdaptiveSpin } from '../shared/adaptive-spin.js';
import { TimingSampler } from '../shared/timing-sampler.js';

/** How long one sleep lasts before the vCPU re-checks for a destroy request (ms). */
const WAIT_SLICE_MS = 50;

export class IoreqClient {
  readonly req = new IoreqRecord();
  readonly resp = new IoreqRecord();
  private readonly port: number;
  private readonly buffered: BufferedIoreqProducer;
  private readonly spinner: AdaptiveSpin;
  /** This vCPU's notify-avoidance word in serverInfo, and whether it is raised. */
  private readonly pollingFlag: number;
  private pollingFlagUp = false;
  private readonly timing: TimingSampler;
  /** Nanoseconds spent waiting for responses (an estimate past the first requests: TimingSampler), and the number of requests. */
  waitNs = 0;
  sync = 0;
  bufferedPosts = 0;
  /** Event-channel sends skipped because the device model was spinning on the slots. */
  notifiesAvoided = 0;

  constructor(
    private readonly domain: AttachedDomain,
    private readonly vcpu: number,
    private readonly control: DomainControl,
    spin: number,
    adaptiveSpin = true,
  ) {
    this.spinner = new AdaptiveSpin(spin, adaptiveSpin);
    this.port = domain.ioreq.eventPort(vcpu);
    this.pollingFlag = vcpuPollingIndex(vcpu);
    this.timing = new TimingSampler(0x9e3779b9 + vcpu);
    this.buffered = new BufferedIoreqProducer(domain.memory.bufferedPage, domain.producerLock, 0);
  }

  /**
   * Send `req` (filled by the caller) and wait for the answer; returns the response data's low 32
   * bits (the high half is in resp.dataHigh). Throws RunAbort if the domain is destroyed while
   * waiting: the instruction is abandoned, not completed.
   */
  send(): number {
    const { ioreq, guestEventChannels: evtchn, serverInfo } = this.domain;
    const v = this.vcpu;
    const weight = this.timing.next();
    const t0 = weight === 0 ? 0 : performance.now();
    ioreq.publish(v, this.req);
    // The device model is spinning on the slots: it will see READY without a notification.
    if (Atomics.load(serverInfo, DM_POLLING_INDEX) === 0) evtchn.send(this.port);
    else this.notifiesAvoided++;
    this.sync++;
    if (!ioreq.pollResponse(v)) this.waitForResponse();
    // The slot reads NONE from the next publish on, or from freeSlot() when the vCPU idles.
    ioreq.takeResponse(v, this.resp, true);
    if (weight !== 0) this.waitNs += (performance.now() - t0) * 1e6 * weight;
    return this.resp.dataLow;
  }

  /**
   * Spin on the slot, then sleep on the Xen wake-up word. The polling flag stays up from one
   * spin to the next (a store per request would move its cache line to this core and back every
   * round trip); it comes down before every sleep, and the slot is looked at again afterwards,
   * so an answer sent while the device model still saw the flag up is never slept through.
   */
  private waitForResponse(): void {
    const { ioreq, guestEventChannels: evtchn, serverInfo } = this.domain;
    const v = this.vcpu;
    const spins = this.spinner.spins;
    if (spins > 0) {
      if (!this.pollingFlagUp) {
        Atomics.store(serverInfo, this.pollingFlag, 1);
        this.pollingFlagUp = true;
      }
      for (let i = 0; i < spins; i++) {
        if (ioreq.state(v) === STATE_IORESP_READY && ioreq.pollResponse(v)) {
          waitStats.lastSlept = false;
          this.spinner.update();
          return;
        }
      }
    }
    if (this.pollingFlagUp) {
      Atomics.store(serverInfo, this.pollingFlag, 0);
      this.pollingFlagUp = false;
    }
    // Only a vCPU that sleeps says it is blocked: the state word is read by the toolstack, and a
    // spin lasts microseconds.
    this.control.setState(v, RunState.BLOCKED_IO);
    const t0 = performance.now();
    // Read the wake sequence, then look at the slot, then sleep only if nothing changed.
    for (;;) {
      const seen = evtchn.xenWakeSequence(v);
      if (ioreq.pollResponse(v)) break;
      if (this.control.requests() & REQ_DESTROY) throw new RunAbort('domain destroyed while waiting for the device model');
      evtchn.waitXenWake(v, seen, 0, WAIT_SLICE_MS);
    }
    waitStats.lastSlept = true;
    this.spinner.update(performance.now() - t0);
    this.control.setState(v, RunState.RUNNING);
  }

  /** Free the slot now (a lazily freed one): the vCPU is about to halt, pause or stop. */
  freeSlot(): void {
    this.domain.ioreq.freeSlot(this.vcpu);
  }

  /** A single write of `size` bytes the vCPU need not wait for; false if it must go synchronously. */
  post(type: number, addr: number, size: number, value: number, valueHigh = 0): boolean {
    // Xen's entries carry 20 address bits; higher addresses (the LFB what-if) take a wide entry.
    const posted =
      addr <= BUFFERED_MAX_ADDR
        ? this.buffered.tryPost(type, addr, size, value, valueHigh)
        : size <= 4 && this.buffered.tryPostWide(type, addr, size, value);
    if (!posted) return false;
    this.bufferedPosts++;
    this.domain.guestEventChannels.send(this.domain.bufioreqPort());
    return true;
  }

  /** Fill the request for a single access (count 1, a value, not a pointer). */
  single(type: number, addr: number, size: number, dir: number, value: number): IoreqRecord {
    const r = this.req;
    r.type = type;
    r.addrLow = addr >>> 0;
    r.addrHigh = 0;
    r.size = size;
    r.count = 1;
    r.dir = dir;
    r.dataLow = dir === IOREQ_WRITE ? value >>> 0 : 0;
    r.dataHigh = 0;
    r.dataIsPtr = false;
    r.df = false;
    return r;
  }
}
