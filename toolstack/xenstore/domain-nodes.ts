/**
 * The nodes the toolstack writes for a new HVM domain, as libxl does (tools/libs/light/
 * libxl_create.c, libxl__domain_make and libxl__build_post; /work/shared/research/xen-abi-facts.md
 * §6), with the permissions a xenstore-ls of a libxl guest shows:
 *
 *   /local/domain/N                    n0 rN   the home: the guest reads it, cannot add keys there
 *     name, domid, vm, memory/{static-max,target,videoram}, cpu/<i>/availability,
 *     store/{port,ring-ref} (once the store channel and frame are known), control, device,
 *     device/suspend, control/platform-feature-{xs_reset_watches,multiprocessor-suspend} = 1
 *                                              (dom0's, readable by N)
 *     control/shutdown, control/feature-{poweroff,reboot,suspend}, control/sysrq,
 *     device/suspend/event-channel, data, drivers, feature, attr, error
 *                                      nN      the guest's own; the toolstack writes "poweroff"
 *                                              or "reboot" to control/shutdown and a PV-aware
 *                                              guest acts on it through its watch
 *   /vm/<uuid>                         n0 rN   name, uuid, image/ostype
 *
 * Everything goes in one transaction, retried on EAGAIN, as libxl does.
 */
import { XsClientError, type XenstoreClient } from '../../shared/xenstore-client.js';
import { domainPath } from './paths.js';

export interface DomainNodeSpec {
  readonly domid: number;
  readonly name: string;
  readonly uuid: string;
  readonly vcpus: number;
  readonly memoryKiB: number;
  readonly videoRamKiB?: number;
  /** The store event channel (the guest's port) and ring frame, written as store/port and store/ring-ref. */
  readonly store?: { readonly port: number; readonly gfn: number };
}

/** Directories the toolstack owns and the guest reads. */
const TOOLSTACK_DIRS = ['control', 'device', 'device/suspend'] as const;
/** The keys the guest owns (libxl's rw list). */
const GUEST_OWNED = [
  'control/shutdown',
  'control/feature-poweroff',
  'control/feature-reboot',
  'control/feature-suspend',
  'control/sysrq',
  'device/suspend/event-channel',
  'data',
  'drivers',
  'feature',
  'attr',
  'error',
] as const;

const ATTEMPTS = 10;

export function writeDomainNodes(xs: XenstoreClient, spec: DomainNodeSpec): void {
  const { domid } = spec;
  const home = domainPath(domid);
  const vm = `/vm/${spec.uuid}`;
  const ro = ['n0', `r${domid}`];
  const rw = [`n${domid}`];
  for (let attempt = 1; ; attempt++) {
    const tx = xs.transactionStart();
    let ending = false;
    try {
      xs.mkdir(home, tx);
      xs.setPerms(home, ro, tx);
      xs.mkdir(vm, tx);
      xs.setPerms(vm, ro, tx);
      xs.write(`${vm}/name`, spec.name, tx);
      xs.write(`${vm}/uuid`, spec.uuid, tx);
      xs.write(`${vm}/image/ostype`, 'hvm', tx);
      xs.write(`${home}/name`, spec.name, tx);
      xs.write(`${home}/domid`, String(domid), tx);
      xs.write(`${home}/vm`, vm, tx);
      xs.write(`${home}/memory/static-max`, String(spec.memoryKiB), tx);
      xs.write(`${home}/memory/target`, String(spec.memoryKiB), tx);
      xs.write(`${home}/memory/videoram`, String(spec.videoRamKiB ?? 0), tx);
      for (let i = 0; i < spec.vcpus; i++) xs.write(`${home}/cpu/${i}/availability`, 'online', tx);
      if (spec.store) {
        xs.write(`${home}/store/port`, String(spec.store.port), tx);
        xs.write(`${home}/store/ring-ref`, String(spec.store.gfn), tx);
      }
      for (const k of TOOLSTACK_DIRS) xs.mkdir(`${home}/${k}`, tx);
      for (const k of GUEST_OWNED) {
        xs.mkdir(`${home}/${k}`, tx);
        xs.setPerms(`${home}/${k}`, rw, tx);
      }
      for (const f of ['xs_reset_watches', 'multiprocessor-suspend']) {
        xs.write(`${home}/control/platform-feature-${f}`, '1', tx);
        xs.setPerms(`${home}/control/platform-feature-${f}`, ro, tx);
      }
      ending = true;
      xs.transactionEnd(tx, true);
      return;
    } catch (e) {
      if (ending && e instanceof XsClientError && e.code === 'EAGAIN' && attempt < ATTEMPTS) continue;
      if (!ending) xs.transactionEnd(tx, false);
      throw e;
    }
  }
}

/** Ask the guest to shut down the way xl shutdown does: write the reason to control/shutdown. */
export function requestShutdown(xs: XenstoreClient, domid: number, reason: 'poweroff' | 'reboot' | 'suspend' | 'halt'): void {
  xs.write(`${domainPath(domid)}/control/shutdown`, reason);
}

/** What the toolstack removes when the domain is gone (libxl's domain destroy). */
export function removeDomainNodes(xs: XenstoreClient, domid: number, uuid: string): void {
  xs.rm(domainPath(domid));
  xs.rm(`/vm/${uuid}`);
}
