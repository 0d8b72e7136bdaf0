/**
 * Event channels: one table per domain, in a SharedArrayBuffer every worker of that domain (and
 * of its device model) can attach (Xen's public/xen.h and public/event_channel.h, docs/architecture.md §5).
 *
 * Modelling choice: the device model is its own domain (as Xen 3.3's device-model stub domain)
 * with its own table, so its ports, pending bits and wait word are separate from the guest's.
 * A thread attaches every table it talks to in an EventChannelDirectory; an interdomain send
 * sets the pending bit in the *remote* table.
 *
 * Ports used by Xen itself (the ioreq ports in the guest's table) are *Xen-consumer* ports, as in
 * Xen: a send to them does not touch the guest-visible bitmaps, it wakes that vCPU's hypervisor
 * thread through a per-vCPU "blocked in Xen" word.
 *
 * Layout (Int32 words; bitmaps of 32-bit words as in a 32-bit guest's 2-level ABI, 1024 ports):
 *   0 domid, 1 nrVcpus, 2-3 reserved
 *   4..35 evtchn_pending[32], 36..67 evtchn_mask[32]
 *   68 + 8*v  per vCPU: upcall_pending, pending_sel, upcall sleepers, xen-wake sequence,
 *             xen-wake sleepers, 3 reserved
 *   324 + 4*p per port: state, remote domid, remote port, notify vCPU | flags
 * The per-port words are Xen-private in real Xen; here they share the buffer for simplicity.
 * This is hvmsim's internal layout, not the byte layout of Xen's shared_info page.
 */

import { notifyIfSleeping, waitWhileEqual } from './wait.js';

export const EVTCHN_NR_PORTS = 1024;
/** vcpu_info slots in shared_info (XEN_LEGACY_MAX_VCPUS). */
export const EVTCHN_MAX_VCPUS = 32;

// Port states, with Xen's ECS_* numbers.
export const ECS_FREE = 0;
export const ECS_RESERVED = 1;
export const ECS_UNBOUND = 2;
export const ECS_INTERDOMAIN = 3;

const W_DOMID = 0;
const W_NR_VCPUS = 1;
const PENDING_BASE = 4;
const MASK_BASE = PENDING_BASE + EVTCHN_NR_PORTS / 32;
const VCPU_BASE = MASK_BASE + EVTCHN_NR_PORTS / 32;
const VCPU_WORDS = 8;
const V_UPCALL = 0;
const V_SEL = 1;
const V_UPCALL_SLEEPERS = 2;
const V_XEN_WAKE = 3;
const V_XEN_WAKE_SLEEPERS = 4;
const PORT_BASE = VCPU_BASE + VCPU_WORDS * EVTCHN_MAX_VCPUS;
const PORT_WORDS = 4;
const P_STATE = 0;
const P_REMOTE_DOM = 1;
const P_REMOTE_PORT = 2;
const P_VCPU_FLAGS = 3;
const FLAG_XEN_CONSUMER = 1 << 16;
const VCPU_MASK = 0xffff;

export const EVTCHN_TABLE_BYTES = (PORT_BASE + PORT_WORDS * EVTCHN_NR_PORTS) * 4;

/** Xen's normal domain ids stop below DOMID_FIRST_RESERVED (0x7FF0). */
export const DOMID_MAX = 0x7fef;

export class EventChannelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventChannelError';
  }
}

/** A new table for domain `domid`; port 0 is reserved, as in Xen. */
export function createEventChannelBuffer(domid: number, nrVcpus: number): SharedArrayBuffer {
  if (!Number.isInteger(domid) || domid < 0 || domid > DOMID_MAX) throw new RangeError(`bad domid ${domid}`);
  if (!Number.isInteger(nrVcpus) || nrVcpus < 1 || nrVcpus > EVTCHN_MAX_VCPUS) {
    throw new RangeError(`event channels: nrVcpus must be 1..${EVTCHN_MAX_VCPUS}, got ${nrVcpus}`);
  }
  const sab = new SharedArrayBuffer(EVTCHN_TABLE_BYTES);
  const i32 = new Int32Array(sab);
  i32[W_DOMID] = domid;
  i32[W_NR_VCPUS] = nrVcpus;
  i32[PORT_BASE + P_STATE] = ECS_RESERVED;
  return sab;
}

/** The tables one thread can reach, by domain id. */
export class EventChannelDirectory {
  private readonly tables = new Map<number, EventChannelTable>();

  attach(buffer: SharedArrayBuffer): EventChannelTable {
    const table = new EventChannelTable(buffer, this);
    if (this.tables.has(table.domid)) throw new EventChannelError(`domain ${table.domid} is already attached`);
    this.tables.set(table.domid, table);
    return table;
  }

  get(domid: number): EventChannelTable | undefined {
    return this.tables.get(domid);
  }
}

export class EventChannelTable {
  readonly domid: number;
  readonly nrVcpus: number;
  /** Atomics.notify calls this thread made on this table's wait words (for tests and counters). */
  notifies = 0;
  private readonly i32: Int32Array;
  /** Per local port, the remote table, resolved once (bindings never change while in use). */
  private readonly peers: (EventChannelTable | undefined)[] = [];

  constructor(
    buffer: SharedArrayBuffer,
    private readonly directory: EventChannelDirectory,
  ) {
    if (buffer.byteLength < EVTCHN_TABLE_BYTES) throw new RangeError(`event-channel table must be ${EVTCHN_TABLE_BYTES} bytes`);
    this.i32 = new Int32Array(buffer, 0, EVTCHN_TABLE_BYTES / 4);
    this.domid = this.i32[W_DOMID]!;
    this.nrVcpus = this.i32[W_NR_VCPUS]!;
  }

  // ---- binding (the toolstack, or the device model binding its end) ----

  /** EVTCHNOP_alloc_unbound: a port `remoteDom` may bind to; events reach guest vCPU `notifyVcpu`. */
  allocUnbound(remoteDom: number, notifyVcpu = 0): number {
    return this.allocate(remoteDom, this.checkVcpu(notifyVcpu));
  }

  /** Xen's alloc_unbound_xen_event_channel: like allocUnbound, but Xen consumes it for `vcpu`. */
  allocUnboundXen(remoteDom: number, vcpu: number): number {
    return this.allocate(remoteDom, this.checkVcpu(vcpu) | FLAG_XEN_CONSUMER);
  }

  /**
   * EVTCHNOP_bind_interdomain: connect a new local port to `remotePort` of `remoteDom`, which must
   * be unbound and offered to this domain. As Xen does, the new local port is set pending at once,
   * in case the peer signalled before the bind.
   */
  bindInterdomain(remoteDom: number, remotePort: number, notifyVcpu = 0): number {
    const remote = this.directory.get(remoteDom);
    if (!remote) throw new EventChannelError(`bind_interdomain: domain ${remoteDom} is not attached`);
    remote.checkPort(remotePort);
    const rb = PORT_BASE + PORT_WORDS * remotePort;
    const ri = remote.i32;
    if (Atomics.load(ri, rb + P_STATE) !== ECS_UNBOUND || ri[rb + P_REMOTE_DOM] !== this.domid) {
      throw new EventChannelError(`bind_interdomain: port ${remotePort} of domain ${remoteDom} is not unbound for domain ${this.domid}`);
    }
    const local = this.allocate(remoteDom, this.checkVcpu(notifyVcpu), remotePort);
    if (Atomics.compareExchange(ri, rb + P_STATE, ECS_UNBOUND, ECS_RESERVED) !== ECS_UNBOUND) {
      Atomics.store(this.i32, PORT_BASE + PORT_WORDS * local + P_STATE, ECS_FREE);
      throw new EventChannelError(`bind_interdomain: port ${remotePort} of domain ${remoteDom} was bound concurrently`);
    }
    ri[rb + P_REMOTE_DOM] = this.domid;
    ri[rb + P_REMOTE_PORT] = local;
    Atomics.store(ri, rb + P_STATE, ECS_INTERDOMAIN);
    Atomics.store(this.i32, PORT_BASE + PORT_WORDS * local + P_STATE, ECS_INTERDOMAIN);
    this.setPending(local);
    return local;
  }

  /** Claim a free port (ECS_RESERVED while its fields are written), then publish its state. */
  private allocate(remoteDom: number, vcpuFlags: number, remotePort = -1): number {
    if (!Number.isInteger(remoteDom) || remoteDom < 0 || remoteDom > DOMID_MAX) throw new EventChannelError(`bad remote domid ${remoteDom}`);
    const i32 = this.i32;
    for (let port = 1; port < EVTCHN_NR_PORTS; port++) {
      const b = PORT_BASE + PORT_WORDS * port;
      if (Atomics.compareExchange(i32, b + P_STATE, ECS_FREE, ECS_RESERVED) !== ECS_FREE) continue;
      i32[b + P_REMOTE_DOM] = remoteDom;
      i32[b + P_REMOTE_PORT] = remotePort;
      i32[b + P_VCPU_FLAGS] = vcpuFlags;
      const w = port >>> 5;
      const bit = 1 << (port & 31);
      Atomics.and(i32, PENDING_BASE + w, ~bit);
      Atomics.and(i32, MASK_BASE + w, ~bit);
      this.peers[port] = undefined;
      if (remotePort < 0) Atomics.store(i32, b + P_STATE, ECS_UNBOUND);
      return port;
    }
    throw new EventChannelError(`domain ${this.domid}: no free event-channel port`);
  }

  // ---- signalling ----

  /**
   * EVTCHNOP_send on a local port: set the remote end pending. Sends on an unbound port are
   * dropped, as in Xen. Returns true if this raised an upcall or a Xen wake-up at the far end
   * (false when the event coalesced with one already pending, or the port is masked).
   */
  send(port: number): boolean {
    this.checkPort(port);
    const i32 = this.i32;
    const b = PORT_BASE + PORT_WORDS * port;
    if (Atomics.load(i32, b + P_STATE) !== ECS_INTERDOMAIN) return false;
    const remoteDom = i32[b + P_REMOTE_DOM]!;
    let remote = this.peers[port];
    if (remote === undefined || remote.domid !== remoteDom) {
      remote = this.directory.get(remoteDom);
      if (!remote) throw new EventChannelError(`send on port ${port}: domain ${remoteDom} is not attached in this thread`);
      this.peers[port] = remote;
    }
    return remote.setPending(i32[b + P_REMOTE_PORT]!);
  }

  /**
   * Xen's 2-level set-pending rule: set the port's pending bit; only if it was clear, the port is
   * unmasked and the vCPU's selector bit for that word was clear, raise upcall_pending and wake
   * the consumer (Atomics.notify only if it sleeps). Xen-consumer ports wake the vCPU's
   * hypervisor thread instead.
   */
  setPending(port: number): boolean {
    this.checkPort(port);
    const i32 = this.i32;
    const flags = i32[PORT_BASE + PORT_WORDS * port + P_VCPU_FLAGS]!;
    const vb = VCPU_BASE + VCPU_WORDS * (flags & VCPU_MASK);
    if (flags & FLAG_XEN_CONSUMER) {
      Atomics.add(i32, vb + V_XEN_WAKE, 1);
      if (notifyIfSleeping(i32, vb + V_XEN_WAKE, vb + V_XEN_WAKE_SLEEPERS)) this.notifies++;
      return true;
    }
    const w = port >>> 5;
    const bit = 1 << (port & 31);
    if (Atomics.or(i32, PENDING_BASE + w, bit) & bit) return false;
    if (Atomics.load(i32, MASK_BASE + w) & bit) return false;
    return this.markSelector(vb, w);
  }

  /** Set selector bit `w`; on its 0→1 edge raise upcall_pending and, on that edge, wake the consumer. */
  private markSelector(vb: number, w: number): boolean {
    const i32 = this.i32;
    const selBit = 1 << w;
    if (Atomics.or(i32, vb + V_SEL, selBit) & selBit) return false;
    if (Atomics.exchange(i32, vb + V_UPCALL, 1) !== 0) return false;
    if (notifyIfSleeping(i32, vb + V_UPCALL, vb + V_UPCALL_SLEEPERS)) this.notifies++;
    return true;
  }

  mask(port: number): void {
    this.checkPort(port);
    Atomics.or(this.i32, MASK_BASE + (port >>> 5), 1 << (port & 31));
  }

  /** EVTCHNOP_unmask: clear the mask; if the port was masked and is still pending, deliver it again. */
  unmask(port: number): boolean {
    this.checkPort(port);
    const i32 = this.i32;
    const w = port >>> 5;
    const bit = 1 << (port & 31);
    if (!(Atomics.and(i32, MASK_BASE + w, ~bit) & bit)) return false;
    if (!(Atomics.load(i32, PENDING_BASE + w) & bit)) return false;
    const vcpu = i32[PORT_BASE + PORT_WORDS * port + P_VCPU_FLAGS]! & VCPU_MASK;
    return this.markSelector(VCPU_BASE + VCPU_WORDS * vcpu, w);
  }

  isPending(port: number): boolean {
    this.checkPort(port);
    return (Atomics.load(this.i32, PENDING_BASE + (port >>> 5)) & (1 << (port & 31))) !== 0;
  }

  isMasked(port: number): boolean {
    this.checkPort(port);
    return (Atomics.load(this.i32, MASK_BASE + (port >>> 5)) & (1 << (port & 31))) !== 0;
  }

  // ---- the consumer of a vCPU's events (a guest vCPU, or the device model as vCPU 0 of its domain) ----

  upcallPending(vcpu: number): boolean {
    return Atomics.load(this.i32, VCPU_BASE + VCPU_WORDS * this.checkVcpu(vcpu) + V_UPCALL) !== 0;
  }

  pendingSelector(vcpu: number): number {
    return Atomics.load(this.i32, VCPU_BASE + VCPU_WORDS * this.checkVcpu(vcpu) + V_SEL) >>> 0;
  }

  /** Block until `vcpu` has an upcall pending (true) or the timeout passes (false). */
  waitForEvents(vcpu: number, spins: number, timeoutMs: number): boolean {
    const vb = VCPU_BASE + VCPU_WORDS * this.checkVcpu(vcpu);
    return waitWhileEqual(this.i32, vb + V_UPCALL, 0, vb + V_UPCALL_SLEEPERS, spins, timeoutMs);
  }

  /**
   * The upcall handler: clear upcall_pending, take the selector, and for each selected word
   * collect `pending & ~mask`, clearing those pending bits. With `maskDelivered` each port is
   * masked before its pending bit is cleared, as the Linux evtchn device does for the device
   * model, which unmasks it once served. Writes ports to `out` and returns how many; ports that do
   * not fit stay pending with the upcall re-raised.
   */
  fetchAndClear(vcpu: number, out: Int32Array, maskDelivered: boolean): number {
    const i32 = this.i32;
    const vb = VCPU_BASE + VCPU_WORDS * this.checkVcpu(vcpu);
    Atomics.store(i32, vb + V_UPCALL, 0);
    let sel = Atomics.exchange(i32, vb + V_SEL, 0);
    let n = 0;
    while (sel !== 0) {
      const w = 31 - Math.clz32(sel & -sel);
      sel &= sel - 1;
      let ready = Atomics.load(i32, PENDING_BASE + w) & ~Atomics.load(i32, MASK_BASE + w);
      if (ready === 0) continue;
      let taken = 0;
      while (ready !== 0 && n < out.length) {
        const low = ready & -ready;
        ready ^= low;
        taken |= low;
        out[n++] = (w << 5) | (31 - Math.clz32(low));
      }
      if (maskDelivered) Atomics.or(i32, MASK_BASE + w, taken);
      Atomics.and(i32, PENDING_BASE + w, ~taken);
      if (ready !== 0) {
        // `out` is full: leave the rest pending and make sure the next call looks again.
        Atomics.or(i32, vb + V_SEL, sel | (1 << w));
        Atomics.store(i32, vb + V_UPCALL, 1);
        break;
      }
    }
    return n;
  }

  // ---- Xen-consumer ports: the hypervisor thread of a vCPU blocked in Xen ----

  /** Read before checking the condition you wait for; pass to waitXenWake. */
  xenWakeSequence(vcpu: number): number {
    return Atomics.load(this.i32, VCPU_BASE + VCPU_WORDS * this.checkVcpu(vcpu) + V_XEN_WAKE);
  }

  /** Block until a Xen-consumer port of `vcpu` was signalled after `seen` was read, or the timeout. */
  waitXenWake(vcpu: number, seen: number, spins: number, timeoutMs: number): boolean {
    const vb = VCPU_BASE + VCPU_WORDS * this.checkVcpu(vcpu);
    return waitWhileEqual(this.i32, vb + V_XEN_WAKE, seen, vb + V_XEN_WAKE_SLEEPERS, spins, timeoutMs);
  }

  // ---- inspection (not for hot paths) ----

  /** Threads asleep (or about to sleep) in waitForEvents for `vcpu`. */
  upcallSleepers(vcpu: number): number {
    return Atomics.load(this.i32, VCPU_BASE + VCPU_WORDS * this.checkVcpu(vcpu) + V_UPCALL_SLEEPERS);
  }

  portStatus(port: number): { state: number; remoteDom: number; remotePort: number; vcpu: number; xenConsumer: boolean } {
    this.checkPort(port);
    const b = PORT_BASE + PORT_WORDS * port;
    const flags = this.i32[b + P_VCPU_FLAGS]!;
    return {
      state: Atomics.load(this.i32, b + P_STATE),
      remoteDom: this.i32[b + P_REMOTE_DOM]!,
      remotePort: this.i32[b + P_REMOTE_PORT]!,
      vcpu: flags & VCPU_MASK,
      xenConsumer: (flags & FLAG_XEN_CONSUMER) !== 0,
    };
  }

  private checkPort(port: number): void {
    if (!(port > 0 && port < EVTCHN_NR_PORTS && (port | 0) === port)) throw new EventChannelError(`bad event-channel port ${port}`);
  }

  private checkVcpu(vcpu: number): number {
    if (!(vcpu >= 0 && vcpu < this.nrVcpus && (vcpu | 0) === vcpu)) throw new EventChannelError(`domain ${this.domid} has no vCPU ${vcpu}`);
    return vcpu;
  }
}
