/** Xen's errno values (public/errno.h; the same numbers as Linux), returned negated in EAX. */
export const EPERM = 1;
export const ESRCH = 3;
export const EFAULT = 14;
export const EEXIST = 17;
export const EINVAL = 22;
export const ENOSYS = 38;
export const ENOBUFS = 105;
