/**
 * The page walker: linear → guest-physical through the guest's page tables, as Intel SDM Vol. 3A
 * chapter 4 describes 32-bit paging (§4.3: 4 KiB pages, 4 MiB pages under CR4.PSE) and PAE paging
 * (§4.4: PDPTE registers, 2 MiB and 4 KiB pages, execute-disable under IA32_EFER.NXE).
 *
 * It knows nothing of the CPU object or of the p2m: it reads and updates table entries through
 * `PageTableMemory`, which the CPU implements over the p2m (a table outside RAM crashes the
 * domain there) and tests implement over a plain array. The result goes into a reused
 * `WalkResult`, so a TLB miss allocates nothing.
 *
 * Accessed and dirty bits (SDM §4.8): A is set in each non-leaf entry the walk goes through, and
 * A (and D for a write) in the leaf once the access is known to be allowed; a faulting access
 * leaves the leaf's bits alone (QEMU's mmu_translate does the same). PDPTEs have no A bit in PAE
 * paging. Reserved bits (SDM §4.3, §4.4, table 4-14 onwards) with MAXPHYADDR = 36, the value the
 * SDM gives a PAE processor without CPUID leaf 0x80000008 (hvmsim's CPUID has none), and no PSE-36.
 */

export const enum Pte {
  P = 1,
  RW = 2,
  US = 4,
  A = 32,
  D = 64,
  PS = 128,
  G = 256,
}

/** #PF error code bits (SDM §4.7). */
export const enum PfError {
  P = 1,
  W = 2,
  U = 4,
  RSVD = 8,
  ID = 16,
}

export const enum Access {
  READ = 0,
  WRITE = 1,
  FETCH = 2,
}

/** Control-register bits the walker reads. */
export const CR0_WP = 1 << 16;
export const CR0_PG = 1 << 31;
export const CR4_PSE = 1 << 4;
export const CR4_PAE = 1 << 5;
export const CR4_PGE = 1 << 7;
export const EFER_NXE = 1 << 11;

/** Reserved bits of a 4 MiB PDE without PSE-36: 21:13. */
const PDE4M_RSVD = 0x003fe000;
/** Reserved bits of a 2 MiB PAE PDE: 20:13. */
const PDE2M_RSVD = 0x001fe000;
/** High dword of a PAE entry: bits 62:36 reserved (MAXPHYADDR 36); bit 63 is XD, reserved unless NXE. */
const PAE_HI_RSVD = 0x7ffffff0;
const PAE_XD = 1 << 31;
/** Reserved bits of a PAE PDPTE (low dword): 2:1 and 8:5 (SDM table 4-8). */
export const PDPTE_LO_RSVD = 0x1e6;

/** Physical memory as the walker reads page tables. */
export interface PageTableMemory {
  /** A 32-bit little-endian entry (or half of a PAE entry) at guest-physical `pa` (4-aligned). */
  read32(pa: number): number;
  /** Atomically OR `bits` into the dword at `pa` (A/D updates, visible to the other vCPUs). */
  or32(pa: number, bits: number): void;
}

/** The paging registers a walk depends on. */
export interface PagingState {
  cr0: number;
  cr3: number;
  cr4: number;
  efer: number;
  /** PAE: the four PDPTEs loaded at MOV CR3 (low, high dword each). */
  readonly pdpte: Int32Array;
}

export class WalkResult {
  /** Guest-physical 4 KiB frame of the linear page. */
  frame = 0;
  /** TlbPerm bits (tlb.ts). */
  perm = 0;
  /** #PF error code when the walk failed. */
  error = 0;
}

// TlbPerm values, repeated as plain numbers so this module stays independent of tlb.ts's enum.
const VALID = 1;
const SUP_WRITE = 2;
const USER = 4;
const USER_WRITE = 8;
const NX = 16;
const DIRTY = 32;
const GLOBAL = 64;
const LARGE = 128;

/**
 * Translate `lin` for `access` at user (CPL 3) or supervisor privilege. Returns true with
 * `out.frame` and `out.perm`, or false with `out.error` (the #PF error code; CR2 is the caller's).
 * A frame above 4 GiB is returned as is (frame >= 2^20): the caller decides what is there.
 */
export function walk(s: PagingState, mem: PageTableMemory, lin: number, access: Access, user: boolean, out: WalkResult): boolean {
  const pae = (s.cr4 & CR4_PAE) !== 0;
  const nxe = pae && (s.efer & EFER_NXE) !== 0;
  const accessBits = (access === Access.WRITE ? PfError.W : 0) | (user ? PfError.U : 0) | (access === Access.FETCH && nxe ? PfError.ID : 0);
  const l = lin >>> 0;
  let rw: number;
  let us: number;
  let xd = 0;
  let large = 0;
  let frame: number;
  let leafAddr: number;
  let leaf: number;
  if (!pae) {
    const pdeAddr = ((s.cr3 & ~0xfff) + ((l >>> 22) << 2)) >>> 0;
    const pde = mem.read32(pdeAddr);
    if (!(pde & Pte.P)) return fail(out, accessBits);
    if (pde & Pte.PS && s.cr4 & CR4_PSE) {
      if (pde & PDE4M_RSVD) return fail(out, accessBits | PfError.P | PfError.RSVD);
      leafAddr = pdeAddr;
      leaf = pde;
      large = LARGE;
      rw = pde & Pte.RW;
      us = pde & Pte.US;
      frame = ((pde >>> 22) << 10) | ((l >>> 12) & 0x3ff);
    } else {
      if (!(pde & Pte.A)) mem.or32(pdeAddr, Pte.A);
      const pteAddr = ((pde & ~0xfff) + (((l >>> 12) & 0x3ff) << 2)) >>> 0;
      const pte = mem.read32(pteAddr);
      if (!(pte & Pte.P)) return fail(out, accessBits);
      leafAddr = pteAddr;
      leaf = pte;
      rw = pde & pte & Pte.RW;
      us = pde & pte & Pte.US;
      frame = pte >>> 12;
    }
  } else {
    const i = l >>> 30;
    const pdpLo = s.pdpte[2 * i]!;
    const pdpHi = s.pdpte[2 * i + 1]!;
    if (!(pdpLo & Pte.P)) return fail(out, accessBits);
    const hiRsvd = PAE_HI_RSVD | (nxe ? 0 : PAE_XD);
    const pdeAddr = paeAddr(pdpLo, pdpHi, ((l >>> 21) & 0x1ff) << 3);
    const pdeLo = mem.read32(pdeAddr);
    const pdeHi = mem.read32(pdeAddr + 4);
    if (!(pdeLo & Pte.P)) return fail(out, accessBits);
    if (pdeHi & hiRsvd) return fail(out, accessBits | PfError.P | PfError.RSVD);
    if (pdeLo & Pte.PS) {
      if (pdeLo & PDE2M_RSVD) return fail(out, accessBits | PfError.P | PfError.RSVD);
      leafAddr = pdeAddr;
      leaf = pdeLo;
      large = LARGE;
      rw = pdeLo & Pte.RW;
      us = pdeLo & Pte.US;
      xd = pdeHi & PAE_XD;
      frame = (pdeHi & 0xf) * 0x100000 + (((pdeLo >>> 21) << 9) | ((l >>> 12) & 0x1ff));
    } else {
      if (!(pdeLo & Pte.A)) mem.or32(pdeAddr, Pte.A);
      const pteAddr = paeAddr(pdeLo, pdeHi, ((l >>> 12) & 0x1ff) << 3);
      const pteLo = mem.read32(pteAddr);
      const pteHi = mem.read32(pteAddr + 4);
      if (!(pteLo & Pte.P)) return fail(out, accessBits);
      if (pteHi & hiRsvd) return fail(out, accessBits | PfError.P | PfError.RSVD);
      leafAddr = pteAddr;
      leaf = pteLo;
      rw = pdeLo & pteLo & Pte.RW;
      us = pdeLo & pteLo & Pte.US;
      xd = (pdeHi | pteHi) & PAE_XD;
      frame = (pteHi & 0xf) * 0x100000 + (pteLo >>> 12);
    }
    if (!nxe) xd = 0;
  }
  const global = s.cr4 & CR4_PGE ? leaf & Pte.G : 0;
  const dirty = leaf & Pte.D;
  const wp = (s.cr0 & CR0_WP) !== 0;
  const perm =
    VALID |
    (rw || !wp ? SUP_WRITE : 0) |
    (us ? USER : 0) |
    (us && rw ? USER_WRITE : 0) |
    (xd ? NX : 0) |
    (dirty ? DIRTY : 0) |
    (global ? GLOBAL : 0) |
    large;
  if (!allowed(perm, access, user)) return fail(out, accessBits | PfError.P);
  const set = access === Access.WRITE ? Pte.A | Pte.D : Pte.A;
  if ((leaf & set) !== set) mem.or32(leafAddr, set);
  out.frame = frame;
  out.perm = access === Access.WRITE ? perm | DIRTY : perm;
  return true;
}

/** May an entry with TlbPerm bits `perm` serve `access` at this privilege? */
export function allowed(perm: number, access: Access, user: boolean): boolean {
  if (access === Access.WRITE) return (perm & (user ? USER_WRITE : SUP_WRITE)) !== 0;
  if (user && !(perm & USER)) return false;
  return access !== Access.FETCH || !(perm & NX);
}

/** The guest-physical address of entry `offset` in the table an entry points to (bits 35:12). */
function paeAddr(lo: number, hi: number, offset: number): number {
  return (hi & 0xf) * 0x100000000 + ((lo & ~0xfff) >>> 0) + offset;
}

function fail(out: WalkResult, error: number): false {
  out.error = error;
  return false;
}
