/**
 * The shared I/O page: one 32-byte synchronous request slot per vCPU, with Xen's `struct ioreq`
 * layout and meanings (Xen's public/hvm/ioreq.h, docs/architecture.md §4).
 *
 * Slot layout (little-endian, as on x86):
 *   @0  addr      u64   port, guest-physical address, or (sbdf << 32) | reg for PCI_CONFIG
 *   @8  data      u64   value, or a guest-physical buffer address when data_is_ptr
 *   @16 count     u32   repetitions
 *   @20 size      u32   bytes per access: 1, 2, 4, 8
 *   @24 vp_eport  u32   event-channel port (the guest-side end), written by Xen at setup
 *   @28 _pad0     u16
 *   @30 bitfield  u8    bits 0-3 state, 4 data_is_ptr, 5 dir, 6 df
 *   @31 type      u8
 *
 * Atomic state: the 32-bit word at @28 holds _pad0, the bitfield byte and type, so in that word
 * state is bits 16-19, data_is_ptr bit 20, dir bit 21, df bit 22, type bits 24-31. Every state
 * change writes the whole word. The two that hand the slot to the other side — READY (with type
 * and flags, after the plain stores of the other fields) and IORESP_READY (after the data) — are
 * sequentially consistent Atomics.stores, so whoever observes the state also sees the fields.
 * The two that do not — the device model's INPROCESS and the vCPU's NONE — are plain stores, as
 * in QEMU and Xen: each slot has one vCPU and one serving thread, only the device model moves a
 * slot out of READY and only the vCPU out of IORESP_READY, so nothing can race them; and a
 * locked write would stall its thread until the cache line came back from the peer spinning on
 * it, one cross-core round trip more per request (~0.2 µs here, bench:ioreq). (For a spinning
 * vCPU, INPROCESS goes out with the answer and NONE with the next request: claimAndRespond,
 * takeResponse.) Loads follow the
 * same rule: a spin or a first look at a slot the other side may have changed is an Atomics.load
 * (state()); a second look at a state this thread has already seen through one, or wrote itself,
 * is a plain load (Atomics.load is a call of ~7 ns in Node 20's V8, a plain load under 1 ns, and
 * a round trip makes about ten such looks). 64-bit fields are kept as two u32 halves, so nothing
 * on the hot path needs a BigInt.
 */

export const IOREQ_SLOT_BYTES = 32;
export const IOREQ_PAGE_BYTES = 4096;
/** A 4 KiB page holds 128 slots, indexed by vCPU id. */
export const IOREQ_MAX_SLOTS = IOREQ_PAGE_BYTES / IOREQ_SLOT_BYTES;

export const STATE_IOREQ_NONE = 0;
export const STATE_IOREQ_READY = 1;
export const STATE_IOREQ_INPROCESS = 2;
export const STATE_IORESP_READY = 3;

export const IOREQ_TYPE_PIO = 0;
export const IOREQ_TYPE_COPY = 1;
export const IOREQ_TYPE_PCI_CONFIG = 2;
export const IOREQ_TYPE_TIMEOFFSET = 7;
export const IOREQ_TYPE_INVALIDATE = 8;

export const IOREQ_WRITE = 0;
export const IOREQ_READ = 1;

/** Longest repetition count in one request: Xen clips string I/O to 4096 repetitions. */
export const IOREQ_MAX_COUNT = 4096;

// Int32 indices within a slot.
const W_ADDR_LO = 0;
const W_ADDR_HI = 1;
const W_DATA_LO = 2;
const W_DATA_HI = 3;
const W_COUNT = 4;
const W_SIZE = 5;
const W_EPORT = 6;
const W_CONTROL = 7;
const SLOT_WORDS = IOREQ_SLOT_BYTES / 4;

// Bits of the control word at @28 (byte 30 is bits 16-23, byte 31 is bits 24-31).
const STATE_SHIFT = 16;
const STATE_MASK = 0xf << STATE_SHIFT;
const DATA_IS_PTR_BIT = 1 << 20;
const DIR_BIT = 1 << 21;
const DF_BIT = 1 << 22;
const TYPE_SHIFT = 24;

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error('hvmsim shared memory layouts assume a little-endian host');
}

/**
 * A protocol violation on the ioreq page: a state that went backwards, an unknown state, a slot
 * that was not free or not in service, a wrong event-channel port. Xen crashes the domain (or the
 * device model destroys it); the caller does the same.
 */
export class IoreqProtocolError extends Error {
  constructor(
    readonly vcpu: number,
    readonly state: number,
    message: string,
  ) {
    super(`ioreq slot ${vcpu}: ${message}`);
    this.name = 'IoreqProtocolError';
  }
}

/**
 * One request in unpacked form. Callers keep one and reuse it, so the hot path allocates nothing.
 * 64-bit fields are u32 halves; `addr`/`data` combine them when the value fits in 2^53.
 */
export class IoreqRecord {
  type = IOREQ_TYPE_PIO;
  dir = IOREQ_WRITE;
  size = 1;
  count = 1;
  addrLow = 0;
  addrHigh = 0;
  dataLow = 0;
  dataHigh = 0;
  dataIsPtr = false;
  df = false;
  vpEport = 0;

  /** addr as a number: exact while addrHigh < 2^21 (always, for our 32-bit guests' PIO and MMIO). */
  get addr(): number {
    return this.addrHigh * 0x1_0000_0000 + this.addrLow;
  }

  set addr(value: number) {
    splitU53(value, 'addr');
    this.addrLow = splitLow;
    this.addrHigh = splitHigh;
  }

  get data(): number {
    return this.dataHigh * 0x1_0000_0000 + this.dataLow;
  }

  set data(value: number) {
    splitU53(value, 'data');
    this.dataLow = splitLow;
    this.dataHigh = splitHigh;
  }

  /** PCI_CONFIG addressing: addr = (sbdf << 32) | reg, sbdf = seg<<16 | bus<<8 | dev<<3 | fn. */
  setPciConfig(sbdf: number, reg: number): void {
    this.addrHigh = sbdf >>> 0;
    this.addrLow = reg >>> 0;
  }

  get sbdf(): number {
    return this.addrHigh;
  }
}

// Outputs of splitU53, module-level so splitting allocates nothing.
let splitLow = 0;
let splitHigh = 0;
function splitU53(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`ioreq ${what} must be an integer 0..2^53-1, got ${value}`);
  splitLow = value >>> 0;
  splitHigh = Math.floor(value / 0x1_0000_0000);
}

export function createIoreqPageBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(IOREQ_PAGE_BYTES);
}

/**
 * Accessor for the shared I/O page. Both ends construct one over the same buffer; the vCPU end
 * (hypervisor) uses setEventPort/publish/pollResponse/takeResponse, the device-model end uses
 * claim/read/respond. As Xen does, the vCPU end checks the slot against what it knows privately,
 * to detect a device model that misbehaves: the last state it saw per slot (per thread, as each
 * vCPU thread owns its slot) and the port it assigned (`assignedPorts`, one word per vCPU; pass a
 * view of Xen-private shared memory when the ports are set up in another thread).
 */
export class IoreqPage {
  private readonly i32: Int32Array;
  private readonly lastSeen: Int8Array;
  /** Per slot: the response was taken but the slot still reads IORESP_READY (takeResponse's `lazyFree`). */
  private readonly freeLater: Uint8Array;

  constructor(
    buffer: SharedArrayBuffer,
    readonly nrVcpus: number,
    private readonly assignedPorts: Int32Array = new Int32Array(nrVcpus),
  ) {
    if (buffer.byteLength < IOREQ_PAGE_BYTES) throw new RangeError(`ioreq page must be ${IOREQ_PAGE_BYTES} bytes`);
    if (!Number.isInteger(nrVcpus) || nrVcpus < 1 || nrVcpus > IOREQ_MAX_SLOTS) {
      throw new RangeError(`ioreq page: nrVcpus must be 1..${IOREQ_MAX_SLOTS}, got ${nrVcpus}`);
    }
    if (assignedPorts.length < nrVcpus) throw new RangeError('ioreq page: assignedPorts needs one word per vCPU');
    this.i32 = new Int32Array(buffer, 0, IOREQ_PAGE_BYTES / 4);
    this.lastSeen = new Int8Array(nrVcpus);
    this.freeLater = new Uint8Array(nrVcpus);
  }

  private base(vcpu: number): number {
    if (!(vcpu >= 0 && vcpu < this.nrVcpus)) throw new RangeError(`ioreq: no slot for vCPU ${vcpu}`);
    return vcpu * SLOT_WORDS;
  }

  /** Current state of a slot (an atomic load; 0-15, values above 3 are corrupt). */
  state(vcpu: number): number {
    return (Atomics.load(this.i32, this.base(vcpu) + W_CONTROL) & STATE_MASK) >>> STATE_SHIFT;
  }

  eventPort(vcpu: number): number {
    return Atomics.load(this.i32, this.base(vcpu) + W_EPORT) >>> 0;
  }

  // ---- vCPU (Xen) end ----

  /** Setup: record the guest-side port of this vCPU's channel in the slot (Xen does this on enable). */
  setEventPort(vcpu: number, port: number): void {
    const b = this.base(vcpu);
    Atomics.store(this.assignedPorts, vcpu, port | 0);
    Atomics.store(this.i32, b + W_EPORT, port | 0);
  }

  /**
   * Fill the slot and publish it as READY. The slot must be NONE and still carry the port Xen
   * wrote; otherwise the device model set a bad state or port (Xen: "device model set bad IO
   * state / bad event channel") and this throws.
   */
  publish(vcpu: number, req: IoreqRecord): void {
    const i32 = this.i32;
    const b = this.base(vcpu);
    // Plain loads: this vCPU freed the slot itself (takeResponse), and the port never changes.
    const control = i32[b + W_CONTROL]!;
    const state = (control & STATE_MASK) >>> STATE_SHIFT;
    const expected = this.freeLater[vcpu] ? STATE_IORESP_READY : STATE_IOREQ_NONE;
    if (state !== expected) throw new IoreqProtocolError(vcpu, state, `device model set bad IO state ${state} (expected ${expected === STATE_IOREQ_NONE ? 'NONE' : 'IORESP_READY, not yet freed'})`);
    if (expected !== STATE_IOREQ_NONE) {
      // The deferred free, in the same burst of stores as the request (takeResponse).
      i32[b + W_CONTROL] = control & ~STATE_MASK;
      this.freeLater[vcpu] = 0;
    }
    if (i32[b + W_EPORT] !== this.assignedPorts[vcpu]) {
      throw new IoreqProtocolError(vcpu, state, `device model set bad event channel ${i32[b + W_EPORT]! >>> 0}`);
    }
    i32[b + W_ADDR_LO] = req.addrLow;
    i32[b + W_ADDR_HI] = req.addrHigh;
    i32[b + W_DATA_LO] = req.dataLow;
    i32[b + W_DATA_HI] = req.dataHigh;
    i32[b + W_COUNT] = req.count;
    i32[b + W_SIZE] = req.size;
    // The contents above become visible to whoever observes READY through this atomic store.
    Atomics.store(
      i32,
      b + W_CONTROL,
      (STATE_IOREQ_READY << STATE_SHIFT) |
        (req.dataIsPtr ? DATA_IS_PTR_BIT : 0) |
        (req.dir ? DIR_BIT : 0) |
        (req.df ? DF_BIT : 0) |
        ((req.type & 0xff) << TYPE_SHIFT),
    );
    this.lastSeen[vcpu] = STATE_IOREQ_READY;
  }

  /**
   * Check the slot after publishing: true once the response is ready (IORESP_READY), false while
   * READY/INPROCESS. Throws when the state is unknown or went backwards since the last call
   * (Xen: "Weird HVM ioreq state transition").
   */
  pollResponse(vcpu: number): boolean {
    // A plain load: callers look right after publishing, after an Atomics.load of the state, or
    // after the wake-up word's; a stale value only means looking again.
    const state = (this.i32[this.base(vcpu) + W_CONTROL]! & STATE_MASK) >>> STATE_SHIFT;
    const last = this.lastSeen[vcpu]!;
    if (state > STATE_IORESP_READY) throw new IoreqProtocolError(vcpu, state, `unknown state ${state}`);
    if (last === STATE_IOREQ_NONE) throw new IoreqProtocolError(vcpu, state, 'no request outstanding');
    if (state < last) throw new IoreqProtocolError(vcpu, state, `state went backwards from ${last} to ${state}`);
    this.lastSeen[vcpu] = state;
    return state === STATE_IORESP_READY;
  }

  /**
   * After pollResponse returned true: copy the response `data` into `out` and free the slot (NONE).
   * With `lazyFree` the NONE store waits for this vCPU's next publish (or freeSlot): while the
   * device model spins on the slots, a store now would hand the line to this core, the device
   * model's next look would take it back, and the publish that follows within tens of
   * nanoseconds would wait for it a second time. The device model treats IORESP_READY and NONE
   * alike (not its to serve), so only the moment the slot reads NONE differs.
   */
  takeResponse(vcpu: number, out: IoreqRecord, lazyFree = false): void {
    const i32 = this.i32;
    const b = this.base(vcpu);
    if (this.lastSeen[vcpu] !== STATE_IORESP_READY) {
      throw new IoreqProtocolError(vcpu, this.state(vcpu), 'takeResponse before IORESP_READY was seen');
    }
    out.dataLow = i32[b + W_DATA_LO]! >>> 0;
    out.dataHigh = i32[b + W_DATA_HI]! >>> 0;
    this.lastSeen[vcpu] = STATE_IOREQ_NONE;
    if (lazyFree) this.freeLater[vcpu] = 1;
    // A plain store (see the header): the next publish's seq-cst store orders it with the rest.
    else i32[b + W_CONTROL] = i32[b + W_CONTROL]! & ~STATE_MASK;
  }

  /** Write the NONE a lazy takeResponse deferred (a vCPU about to idle); no-op otherwise. */
  freeSlot(vcpu: number): void {
    if (!this.freeLater[vcpu]) return;
    const b = this.base(vcpu);
    Atomics.and(this.i32, b + W_CONTROL, ~STATE_MASK);
    this.freeLater[vcpu] = 0;
  }

  // ---- device-model end ----

  /**
   * Claim a READY slot (READY → INPROCESS). False when the slot is not READY: a stale or spurious
   * notification, dropped as the device models do ("I/O request not ready"), or a slot already
   * claimed, so a request is served once. Throws on an unknown state. One thread serves a page
   * (the device model's ioreq server): the claim is a plain store, as QEMU's (see the header).
   */
  claim(vcpu: number): boolean {
    const i32 = this.i32;
    const b = this.base(vcpu);
    const control = Atomics.load(i32, b + W_CONTROL);
    const state = (control & STATE_MASK) >>> STATE_SHIFT;
    if (state > STATE_IORESP_READY) throw new IoreqProtocolError(vcpu, state, `unknown state ${state}`);
    if (state !== STATE_IOREQ_READY) return false;
    i32[b + W_CONTROL] = (control & ~STATE_MASK) | (STATE_IOREQ_INPROCESS << STATE_SHIFT);
    return true;
  }

  /** Read a claimed slot's fields into `out`. */
  read(vcpu: number, out: IoreqRecord): void {
    const i32 = this.i32;
    const b = this.base(vcpu);
    const control = i32[b + W_CONTROL]!; // claimed by this thread: nobody else writes it now
    out.addrLow = i32[b + W_ADDR_LO]! >>> 0;
    out.addrHigh = i32[b + W_ADDR_HI]! >>> 0;
    out.dataLow = i32[b + W_DATA_LO]! >>> 0;
    out.dataHigh = i32[b + W_DATA_HI]! >>> 0;
    out.count = i32[b + W_COUNT]! >>> 0;
    out.size = i32[b + W_SIZE]! >>> 0;
    out.vpEport = i32[b + W_EPORT]! >>> 0;
    out.dataIsPtr = (control & DATA_IS_PTR_BIT) !== 0;
    out.dir = control & DIR_BIT ? IOREQ_READ : IOREQ_WRITE;
    out.df = (control & DF_BIT) !== 0;
    out.type = (control >>> TYPE_SHIFT) & 0xff;
  }

  /**
   * Claim a READY slot and answer it in one burst of stores: INPROCESS, the data, IORESP_READY.
   * For a request whose vCPU spins on the slot (ioreq-server.ts): an INPROCESS store held during
   * dispatch would cost that vCPU's core the line (its next load takes it back) and this thread
   * a second ownership transfer when it answers, while the spinning vCPU treats READY and
   * INPROCESS alike. Throws unless the slot is READY.
   */
  claimAndRespond(vcpu: number, dataLow: number, dataHigh: number): void {
    const i32 = this.i32;
    const b = this.base(vcpu);
    const control = i32[b + W_CONTROL]!; // seen READY by this thread, which alone moves it on
    const state = (control & STATE_MASK) >>> STATE_SHIFT;
    if (state !== STATE_IOREQ_READY) throw new IoreqProtocolError(vcpu, state, `answering a slot that is not READY (state ${state})`);
    const rest = control & ~STATE_MASK;
    i32[b + W_CONTROL] = rest | (STATE_IOREQ_INPROCESS << STATE_SHIFT);
    i32[b + W_DATA_LO] = dataLow;
    i32[b + W_DATA_HI] = dataHigh;
    Atomics.store(i32, b + W_CONTROL, rest | (STATE_IORESP_READY << STATE_SHIFT));
  }

  /**
   * Write the response data and mark it IORESP_READY. The slot must still be INPROCESS, else the
   * device model is answering a request it does not hold (QEMU: "not in service?!") and this throws.
   */
  respond(vcpu: number, dataLow: number, dataHigh: number): void {
    const i32 = this.i32;
    const b = this.base(vcpu);
    const control = i32[b + W_CONTROL]!; // this thread's own INPROCESS, if it holds the request
    const state = (control & STATE_MASK) >>> STATE_SHIFT;
    if (state !== STATE_IOREQ_INPROCESS) throw new IoreqProtocolError(vcpu, state, `response to a request not in service (state ${state})`);
    i32[b + W_DATA_LO] = dataLow;
    i32[b + W_DATA_HI] = dataHigh;
    Atomics.store(i32, b + W_CONTROL, (control & ~STATE_MASK) | (STATE_IORESP_READY << STATE_SHIFT));
  }
}

/**
 * The device model's sanity check of a request before it touches a device (docs/architecture.md §8): returns
 * null when the request is well-formed, else a one-line reason. Allocates only on failure.
 */
export function checkIoreq(req: IoreqRecord): string | null {
  const { type, size, count } = req;
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return `bad size ${size}`;
  if (count < 1 || count > IOREQ_MAX_COUNT) return `bad count ${count}`;
  switch (type) {
    case IOREQ_TYPE_PIO:
      if (size > 4) return `port I/O of size ${size}`;
      if (req.addrHigh !== 0 || req.addrLow > 0xffff) return `port 0x${req.addr.toString(16)} out of range`;
      return null;
    case IOREQ_TYPE_COPY:
      if (req.addrHigh !== 0) return `MMIO address above 4 GiB: 0x${req.addr.toString(16)}`;
      return null;
    case IOREQ_TYPE_PCI_CONFIG:
      if (count !== 1 || size > 4 || req.dataIsPtr) return `PCI config access must be a single 1/2/4-byte value`;
      return null;
    case IOREQ_TYPE_TIMEOFFSET:
    case IOREQ_TYPE_INVALIDATE:
      return null;
    default:
      return `unknown type ${type}`;
  }
}
