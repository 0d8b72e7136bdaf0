/**
 * The limits of a domain, defined once: the toolstack checks options against them, control
 * messages are validated against them, and the shared layouts are sized to hold them.
 */

/** vCPUs per domain: one hypervisor worker each (the shared layouts have room for 32, Xen's legacy limit). */
export const MAX_VCPUS = 8;
/** Guest RAM in MiB: at least what the loader's low-memory handover and a kernel need; at most what fits below the PCI hole. */
export const MIN_MEMORY_MIB = 2;
export const MAX_MEMORY_MIB = 3072;
/** Domain IDs below DOMID_FIRST_RESERVED (0x7FF0), as Xen's. */
export const MAX_DOMID = 0x7fef;
/** A domain's name, as xl limits it. */
export const MAX_DOMAIN_NAME = 64;
