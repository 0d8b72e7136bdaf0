/**
 * The SharedArrayBuffers one domain's threads share for its I/O path, how they are created, and
 * how the ioreq channel's event-channel ports are set up (QEMU's hw/xen/xen-hvm-common.c and qemu-dm's helper2.c; Xen's public/hvm/dm_op.h and common/ioreq.c).
 * Guest RAM, VRAM and the p2m are created elsewhere (hypervisor/).
 *
 * The whole set is a plain object of numbers and SharedArrayBuffers, so it can go to a worker as
 * workerData (the buffers stay shared). Each thread then attaches it with attachDomainSharedMemory.
 */

import { BUFFERED_PAGE_BYTES } from './buffered-ioreq.js';
import { createEventChannelBuffer, DOMID_MAX, EVTCHN_MAX_VCPUS, EVTCHN_NR_PORTS, EventChannelDirectory, type EventChannelTable } from './event-channel.js';
import { IOREQ_PAGE_BYTES, IoreqPage } from './ioreq.js';
import { createIrqLinesBuffer, IrqLines, IRQ_LINES_MAX_VCPUS } from './irq-lines.js';

export const MAX_VCPUS = Math.min(EVTCHN_MAX_VCPUS, IRQ_LINES_MAX_VCPUS);

/**
 * hvmsim runs each guest's device model as its own domain (a stub domain, as in Xen 3.3), with
 * its own event-channel table. By default its id is the guest's plus this offset, so guest ids
 * stay below it.
 */
export const DEVICE_MODEL_DOMID_OFFSET = 0x4000;

export interface DomainSharedMemory {
  readonly domid: number;
  readonly dmDomid: number;
  readonly vcpus: number;
  /** Synchronous ioreq slots, one per vCPU (shared/ioreq.ts). */
  readonly ioreqPage: SharedArrayBuffer;
  /** Buffered ioreq ring (shared/buffered-ioreq.ts). */
  readonly bufferedPage: SharedArrayBuffer;
  /** Xen-private ioreq-server state: the buffered producers' lock and the bufioreq port. */
  readonly serverInfo: SharedArrayBuffer;
  /** The guest's event-channel table (holds the Xen-consumer ioreq ports). */
  readonly guestEventChannels: SharedArrayBuffer;
  /** The device model's own event-channel table. */
  readonly dmEventChannels: SharedArrayBuffer;
  /** ISA IRQ levels and vCPU kicks (shared/irq-lines.ts). */
  readonly irqLines: SharedArrayBuffer;
}

// serverInfo words: the producers' lock, the guest-side bufioreq port, then the guest-side ioreq
// port of each vCPU (Xen's own record of them, which the vCPU end checks the slots against).
const INFO_PRODUCER_LOCK = 0;
const INFO_BUFIOREQ_PORT = 1;
const INFO_VCPU_PORTS = 2;
/**
 * Notify avoidance (hvmsim's, in the spirit of the PV rings' event indexes): a thread that is
 * spinning on the ioreq slots says so here, and the peer skips the event-channel send while it
 * does. The spinner clears its word and looks at the slot once more before it sleeps, so a
 * request or response is never left unnoticed (both sides use sequentially consistent Atomics).
 */
// Each flag has a 64-byte cache line to itself: the writer's stores then never drag a line the
// other side is reading (false sharing costs a cross-core transfer per store on the hot path).
const LINE_WORDS = 16;
const INFO_DM_POLLING = Math.ceil((INFO_VCPU_PORTS + MAX_VCPUS) / LINE_WORDS) * LINE_WORDS + LINE_WORDS;
const INFO_VCPU_POLLING = INFO_DM_POLLING + LINE_WORDS;
const INFO_WORDS = INFO_VCPU_POLLING + MAX_VCPUS * LINE_WORDS;

/** serverInfo word set while the device model spins on the slots. */
export const DM_POLLING_INDEX = INFO_DM_POLLING;
/** serverInfo word set while vCPU `v` spins on its slot for the response. */
export function vcpuPollingIndex(v: number): number {
  return INFO_VCPU_POLLING + v * LINE_WORDS;
}

export function createDomainSharedMemory(domid: number, vcpus: number, dmDomid = domid + DEVICE_MODEL_DOMID_OFFSET): DomainSharedMemory {
  if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > MAX_VCPUS) throw new RangeError(`vcpus must be 1..${MAX_VCPUS}, got ${vcpus}`);
  if (!Number.isInteger(dmDomid) || dmDomid < 0 || dmDomid > DOMID_MAX || dmDomid === domid) {
    throw new RangeError(`bad device-model domid ${dmDomid} for domain ${domid}`);
  }
  return {
    domid,
    dmDomid,
    vcpus,
    ioreqPage: new SharedArrayBuffer(IOREQ_PAGE_BYTES),
    bufferedPage: new SharedArrayBuffer(BUFFERED_PAGE_BYTES),
    serverInfo: new SharedArrayBuffer(INFO_WORDS * 4),
    guestEventChannels: createEventChannelBuffer(domid, vcpus),
    dmEventChannels: createEventChannelBuffer(dmDomid, 1),
    irqLines: createIrqLinesBuffer(),
  };
}

/** One thread's view of a domain's shared memory. */
export interface AttachedDomain {
  readonly memory: DomainSharedMemory;
  readonly directory: EventChannelDirectory;
  readonly guestEventChannels: EventChannelTable;
  readonly dmEventChannels: EventChannelTable;
  readonly ioreq: IoreqPage;
  readonly irqLines: IrqLines;
  /** The buffered producers' lock (pass to BufferedIoreqProducer with index PRODUCER_LOCK_INDEX). */
  readonly producerLock: Int32Array;
  /** Xen-private server words: the lock, ports and the notify-avoidance flags (DM_POLLING_INDEX, vcpuPollingIndex). */
  readonly serverInfo: Int32Array;
  /** Guest-side bufioreq port (Xen sends on it after posting); 0 until the server is created. */
  bufioreqPort(): number;
}

export const PRODUCER_LOCK_INDEX = INFO_PRODUCER_LOCK;

export function attachDomainSharedMemory(memory: DomainSharedMemory, directory = new EventChannelDirectory()): AttachedDomain {
  const info = new Int32Array(memory.serverInfo);
  return {
    memory,
    directory,
    guestEventChannels: directory.attach(memory.guestEventChannels),
    dmEventChannels: directory.attach(memory.dmEventChannels),
    ioreq: new IoreqPage(memory.ioreqPage, memory.vcpus, info.subarray(INFO_VCPU_PORTS, INFO_VCPU_PORTS + memory.vcpus)),
    irqLines: new IrqLines(memory.irqLines),
    producerLock: info,
    serverInfo: info,
    bufioreqPort: () => Atomics.load(info, INFO_BUFIOREQ_PORT),
  };
}

/**
 * Xen's side of creating the ioreq server: for every vCPU an unbound, Xen-consumed port in the
 * guest's table offered to the device model, written into that vCPU's slot `vp_eport`; and, with
 * vCPU 0's, the bufioreq port.
 */
export function createIoreqServerPorts(domain: AttachedDomain): void {
  const { memory, guestEventChannels: guest, ioreq } = domain;
  for (let v = 0; v < memory.vcpus; v++) {
    ioreq.setEventPort(v, guest.allocUnboundXen(memory.dmDomid, v));
  }
  Atomics.store(domain.producerLock, INFO_BUFIOREQ_PORT, guest.allocUnboundXen(memory.dmDomid, 0));
}

/** The device model's local ends of the ioreq channel. */
export interface IoreqServerBinding {
  /** Local port per vCPU. */
  readonly vcpuPorts: Int32Array;
  /** Local bufioreq port. */
  readonly bufioreqPort: number;
  /** vCPU served by each local port, -1 for none: the lookup on every event, without a scan. */
  readonly vcpuOfPort: Int16Array;
}

/** The device model binds to each slot's vp_eport and to the bufioreq port, as QEMU does at start-up. */
export function bindIoreqServer(domain: AttachedDomain): IoreqServerBinding {
  const { memory, dmEventChannels: dm, ioreq } = domain;
  const vcpuPorts = new Int32Array(memory.vcpus);
  const vcpuOfPort = new Int16Array(EVTCHN_NR_PORTS).fill(-1);
  for (let v = 0; v < memory.vcpus; v++) {
    const port = dm.bindInterdomain(memory.domid, ioreq.eventPort(v));
    vcpuPorts[v] = port;
    vcpuOfPort[port] = v;
  }
  const bufPort = domain.bufioreqPort();
  if (bufPort === 0) throw new Error('bindIoreqServer: the ioreq server has no bufioreq port yet (createIoreqServerPorts first)');
  return { vcpuPorts, bufioreqPort: dm.bindInterdomain(memory.domid, bufPort), vcpuOfPort };
}
