/**
 * xen_version (17): EBX = command, ECX = buffer (public/version.h, xen/common/kernel.c), as Xen
 * answers an HVM domU. Strings are NUL-padded into their fixed-size buffers; the varbuf forms
 * (11–14) report the size needed for a NULL buffer, -ENOBUFS for a short one, else the bytes
 * written. Features (submap 0) advertise only what hvmsim has: writable page tables and an
 * auto-translated physmap, as every HVM guest; no callback vector yet.
 */
import { XEN_VERSION_MAJOR, XEN_VERSION_MINOR } from '../cpuid.js';
import { EFAULT, EINVAL, ENOBUFS } from './errno.js';
import { copyFromGuest, copyToGuest } from './guest-copy.js';
import type { Hypercall } from './table.js';

export const XENVER_version = 0;
export const XENVER_extraversion = 1;
export const XENVER_compile_info = 2;
export const XENVER_capabilities = 3;
export const XENVER_changeset = 4;
export const XENVER_platform_parameters = 5;
export const XENVER_get_features = 6;
export const XENVER_pagesize = 7;
export const XENVER_guest_handle = 8;
export const XENVER_commandline = 9;
export const XENVER_extraversion2 = 11;
export const XENVER_capabilities2 = 12;
export const XENVER_changeset2 = 13;
export const XENVER_commandline2 = 14;

export const EXTRAVERSION = '.0';
/** What this hypervisor runs: 32-bit HVM guests, with and without PAE. */
export const CAPABILITIES = 'hvm-3.0-x86_32 hvm-3.0-x86_32p';
export const CHANGESET = 'hvmsim';
export const XENFEAT_writable_page_tables = 0;
export const XENFEAT_auto_translated_physmap = 2;
const FEATURES_SUBMAP0 = (1 << XENFEAT_writable_page_tables) | (1 << XENFEAT_auto_translated_physmap);

const encoder = new TextEncoder();

/** `text` NUL-padded (and cut) to `size` bytes, as Xen's fixed char arrays are filled. */
function fixed(text: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(encoder.encode(text).subarray(0, size - 1));
  return out;
}

function put(cpu: Parameters<Hypercall>[0]['cpu'], at: number, bytes: Uint8Array): number {
  return copyToGuest(cpu, at, bytes) ? 0 : -EFAULT;
}

/** struct xen_varbuf { uint32_t len; char buf[]; } at `at`. */
function varbuf(cpu: Parameters<Hypercall>[0]['cpu'], at: number, text: string): number {
  const bytes = encoder.encode(text);
  if (at === 0) return bytes.length;
  const header = copyFromGuest(cpu, at, 4);
  if (!header) return -EFAULT;
  const len = new DataView(header.buffer).getUint32(0, true);
  if (len < bytes.length) return -ENOBUFS;
  return copyToGuest(cpu, at + 4, bytes) ? bytes.length : -EFAULT;
}

export const xenVersion: Hypercall = (ctx, cmd, arg) => {
  const { cpu } = ctx;
  switch (cmd >>> 0) {
    case XENVER_version:
      return (XEN_VERSION_MAJOR << 16) | XEN_VERSION_MINOR;
    case XENVER_extraversion:
      return put(cpu, arg, fixed(EXTRAVERSION, 16));
    case XENVER_compile_info: {
      // compiler[64] @0, compile_by[16] @64, compile_domain[32] @80, compile_date[32] @112
      const info = new Uint8Array(144);
      info.set(fixed('hvmsim (TypeScript)', 64), 0);
      info.set(fixed('hvmsim', 16), 64);
      return put(cpu, arg, info);
    }
    case XENVER_capabilities:
      return put(cpu, arg, fixed(CAPABILITIES, 1024));
    case XENVER_changeset:
      return put(cpu, arg, fixed(CHANGESET, 64));
    case XENVER_platform_parameters:
      return put(cpu, arg, new Uint8Array(4)); // virt_start: 0 for HVM
    case XENVER_get_features: {
      // struct xen_feature_info { unsigned int submap_idx; uint32_t submap; }
      const idx = copyFromGuest(cpu, arg, 4);
      if (!idx) return -EFAULT;
      if (new DataView(idx.buffer).getUint32(0, true) !== 0) return -EINVAL;
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, FEATURES_SUBMAP0, true);
      return put(cpu, (arg >>> 0) + 4, out);
    }
    case XENVER_pagesize:
      return arg === 0 ? 4096 : -EINVAL;
    case XENVER_guest_handle:
      return put(cpu, arg, new Uint8Array(16)); // the domain has no UUID yet (the toolstack issue gives it one)
    case XENVER_commandline:
      return put(cpu, arg, new Uint8Array(1024)); // no hypervisor command line
    case XENVER_extraversion2:
      return varbuf(cpu, arg, EXTRAVERSION);
    case XENVER_capabilities2:
      return varbuf(cpu, arg, CAPABILITIES);
    case XENVER_changeset2:
      return varbuf(cpu, arg, CHANGESET);
    case XENVER_commandline2:
      return varbuf(cpu, arg, '');
    default:
      return 0; // Xen answers other commands with 0
  }
};
