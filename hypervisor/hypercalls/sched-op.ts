/**
 * sched_op (29), the sub-ops hvmsim provides: yield (0), and shutdown (2) with `struct
 * sched_shutdown { unsigned int reason; }` at ECX — poweroff 0, reboot 1, crash 3 go to the
 * toolstack; a bad reason is -EINVAL, an unreadable argument -EFAULT.
 */
import { EFAULT, EINVAL, ENOSYS } from './errno.js';
import { copyFromGuest } from './guest-copy.js';
import type { Hypercall } from './table.js';

export const SCHEDOP_yield = 0;
export const SCHEDOP_shutdown = 2;

export const schedOp: Hypercall = (ctx, cmd, arg) => {
  if (cmd === SCHEDOP_yield) return 0;
  if (cmd === SCHEDOP_shutdown) {
    const bytes = copyFromGuest(ctx.cpu, arg, 4);
    if (!bytes) return -EFAULT;
    const reason = new DataView(bytes.buffer).getUint32(0, true);
    const named = reason === 0 ? 'poweroff' : reason === 1 ? 'reboot' : reason === 3 ? 'crash' : undefined;
    if (!named) return -EINVAL;
    ctx.shutdown(named);
    return 0;
  }
  return -ENOSYS;
};
