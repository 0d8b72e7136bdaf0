/**
 * hvm_op (34): EBX = op, ECX = arg (public/hvm/hvm_op.h, xen/arch/x86/hvm/hvm.c), the parameter
 * ops so far: set_param (0) and get_param (1) on `struct xen_hvm_param { domid u16 @0; index u32
 * @4; value u64 @8 }`, with the rules Xen applies to a guest's access to its own parameters:
 * index ≥ 39 is -EINVAL; a domid other than DOMID_SELF or its own is -ESRCH; deprecated indices
 * -EINVAL; setting ALTP2M -EEXIST; anything not on the guest's lists -EPERM. Other ops -ENOSYS.
 */
import {
  HVM_NR_PARAMS,
  HVM_PARAM_ACPI_IOPORTS_LOCATION,
  HVM_PARAM_ALTP2M,
  HVM_PARAM_CALLBACK_IRQ,
  HVM_PARAM_CONSOLE_EVTCHN,
  HVM_PARAM_CONSOLE_PFN,
  HVM_PARAM_STORE_EVTCHN,
  HVM_PARAM_STORE_PFN,
  HVM_PARAM_VM86_TSS,
  HVM_PARAM_VM86_TSS_SIZED,
  HVM_PARAM_VM_GENERATION_ID_ADDR,
  HVM_PARAM_X87_FIP_WIDTH,
} from '../../shared/hvm-params.js';
import { EEXIST, EFAULT, EINVAL, ENOSYS, EPERM, ESRCH } from './errno.js';
import { copyFromGuest, copyToGuest } from './guest-copy.js';
import type { Hypercall } from './table.js';

export const HVMOP_set_param = 0;
export const HVMOP_get_param = 1;
export const DOMID_SELF = 0x7ff0;

/** What a guest may set in its own domain; it may read these and three more. */
const GUEST_SETTABLE = new Set([
  HVM_PARAM_CALLBACK_IRQ,
  HVM_PARAM_STORE_EVTCHN,
  HVM_PARAM_VM86_TSS,
  HVM_PARAM_CONSOLE_EVTCHN,
  HVM_PARAM_ACPI_IOPORTS_LOCATION,
  HVM_PARAM_VM_GENERATION_ID_ADDR,
  HVM_PARAM_X87_FIP_WIDTH,
  HVM_PARAM_VM86_TSS_SIZED,
]);
const GUEST_READABLE = new Set([...GUEST_SETTABLE, HVM_PARAM_STORE_PFN, HVM_PARAM_CONSOLE_PFN, HVM_PARAM_ALTP2M]);
/** Deprecated parameters (Xen rejects them with -EINVAL). */
const DEPRECATED = new Set([4, 13, 20, 21, 22, 23, 24, 25, 26, 30]);

export const hvmOp: Hypercall = (ctx, op, arg) => {
  if (op !== HVMOP_set_param && op !== HVMOP_get_param) return -ENOSYS;
  const params = ctx.params;
  if (!params) return -ENOSYS;
  const bytes = copyFromGuest(ctx.cpu, arg, 16);
  if (!bytes) return -EFAULT;
  const view = new DataView(bytes.buffer);
  const domid = view.getUint16(0, true);
  const index = view.getUint32(4, true);
  if (index >= HVM_NR_PARAMS) return -EINVAL;
  if (domid !== DOMID_SELF && domid !== ctx.domid) return -ESRCH;
  if (DEPRECATED.has(index)) return -EINVAL;
  if (op === HVMOP_set_param) {
    if (index === HVM_PARAM_ALTP2M) return -EEXIST;
    if (!GUEST_SETTABLE.has(index)) return -EPERM;
    params.set(index, view.getBigUint64(8, true));
    return 0;
  }
  if (!GUEST_READABLE.has(index)) return -EPERM;
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, params.get(index), true);
  return copyToGuest(ctx.cpu, (arg >>> 0) + 8, out) ? 0 : -EFAULT;
};
