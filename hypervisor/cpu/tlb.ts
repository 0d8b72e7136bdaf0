/**
 * The software TLB: one entry per 4 KiB linear page (a 4 MiB or 2 MiB page fills the entries of
 * the 4 KiB pages actually used), holding the guest-physical frame and the permissions the walk
 * found (page-walk.ts). It sits in front of the per-frame p2m verdicts of guest-memory.ts: a hit
 * gives the physical frame, whose p2m verdict still decides RAM versus exit, so p2m changes
 * (log-dirty, VGA modes, code watching) never need a TLB flush (docs/architecture.md §3, §9).
 *
 * `rd`/`wr` are the fast verdicts the interpreter and compiled blocks test inline, for the
 * privilege set by `setUser` (supervisor by default): `frame << 12` when a read (a write) may use
 * the entry without a walk, TLB_NONE otherwise. TLB_NONE names the last frame below 4 GiB, which
 * is never RAM (the firmware flash; MAX_MEMORY_MIB is far below), so its per-frame verdicts are
 * always 0 and one test of the frame's verdict covers both "no entry" and "not plain RAM".
 * (Without this, frame 0 would need its own test.) A write needs the dirty bit already set in the leaf entry, so the first
 * write through an entry filled by a read walks again and sets D, as the processor does
 * (Intel SDM Vol. 3A §4.8). Flushes follow SDM §4.10.4: MOV CR3 keeps global entries (CR4.PGE),
 * INVLPG drops one page's entry whatever its G bit, CR0.PG/WP and CR4.PGE/PAE/PSE changes drop all.
 * A flush clears only the entries filled since the last one (a list), not 2^20 slots.
 */

/** Permission bits of an entry (`perm`). */
export const enum TlbPerm {
  VALID = 1,
  /** A supervisor write is allowed (R/W at every level, or CR0.WP = 0). */
  SUP_WRITE = 2,
  /** User-mode read/fetch allowed (U/S at every level). */
  USER = 4,
  /** User-mode write allowed (U/S and R/W at every level). */
  USER_WRITE = 8,
  /** Execute-disable at some level (EFER.NXE, PAE). */
  NX = 16,
  /** The leaf entry's dirty bit is set. */
  DIRTY = 32,
  /** A global page (G in the leaf with CR4.PGE): kept by MOV CR3. */
  GLOBAL = 64,
  /** Part of a 4 MiB or 2 MiB page: INVLPG anywhere in that page drops it. */
  LARGE = 128,
}

const PAGES = 1 << 20;

/** The inline verdict of a page with no usable entry: frame 0xFFFFF << 12 as an int32. */
export const TLB_NONE = -4096;

export class Tlb {
  /** Physical frame of each linear page (meaningful when perm has VALID). */
  readonly frame = new Int32Array(PAGES);
  readonly perm = new Uint8Array(PAGES);
  /** Inline read verdict: frame << 12, or TLB_NONE. */
  readonly rd = new Int32Array(PAGES).fill(TLB_NONE);
  /** Inline write verdict: frame << 12, or TLB_NONE. */
  readonly wr = new Int32Array(PAGES).fill(TLB_NONE);
  /** Linear pages that may hold an entry, each once (`listed` marks them). */
  private filled = new Int32Array(1024);
  private readonly listed = new Uint8Array(PAGES);
  /** The inline verdicts are for user-mode (CPL 3) accesses. */
  private user = false;

  get userMode(): boolean {
    return this.user;
  }

  /**
   * The privilege of the accesses to come changed (CPL 3 ↔ CPL 0–2): the inline verdicts were
   * computed for the other one, so everything goes (the entries are refilled by walks).
   */
  setUser(user: boolean): void {
    if (user === this.user) return;
    this.flushAll();
    this.user = user;
  }
  private count = 0;

  fill(vpn: number, frame: number, perm: number): void {
    if (this.listed[vpn] === 0) {
      this.listed[vpn] = 1;
      if (this.count === this.filled.length) {
        const grown = new Int32Array(this.filled.length * 2);
        grown.set(this.filled);
        this.filled = grown;
      }
      this.filled[this.count++] = vpn;
    }
    this.frame[vpn] = frame;
    this.perm[vpn] = perm | TlbPerm.VALID;
    const fast = frame << 12;
    const write = this.user ? TlbPerm.USER_WRITE : TlbPerm.SUP_WRITE;
    this.rd[vpn] = !this.user || perm & TlbPerm.USER ? fast : TLB_NONE;
    this.wr[vpn] = (perm & (write | TlbPerm.DIRTY)) === (write | TlbPerm.DIRTY) ? fast : TLB_NONE;
  }

  /**
   * INVLPG: drop the entries of the page holding linear page `vpn`, global or not (the list
   * keeps them; a later flush finds them empty). A large page was filled 4 KiB at a time, so
   * the pieces of any large page around `vpn` go too (4 MiB covers PAE's 2 MiB as well; dropping
   * more than needed is allowed, SDM §4.10.4.1).
   */
  invalidatePage(vpn: number): void {
    this.clearEntry(vpn);
    const first = vpn & ~0x3ff;
    for (let v = first; v < first + 0x400; v++) if (this.perm[v]! & TlbPerm.LARGE) this.clearEntry(v);
  }

  /** MOV CR3: drop every entry but the global ones. */
  flushNonGlobal(): void {
    let kept = 0;
    for (let k = 0; k < this.count; k++) {
      const vpn = this.filled[k]!;
      const p = this.perm[vpn]!;
      if (p & TlbPerm.GLOBAL) this.filled[kept++] = vpn;
      else {
        this.clearEntry(vpn);
        this.listed[vpn] = 0;
      }
    }
    this.count = kept;
  }

  /** Everything, globals too. */
  flushAll(): void {
    for (let k = 0; k < this.count; k++) {
      const vpn = this.filled[k]!;
      this.clearEntry(vpn);
      this.listed[vpn] = 0;
    }
    this.count = 0;
  }

  /** Entries currently held (for tests). */
  size(): number {
    let n = 0;
    for (let k = 0; k < this.count; k++) if (this.perm[this.filled[k]!] !== 0) n++;
    return n;
  }

  private clearEntry(vpn: number): void {
    this.perm[vpn] = 0;
    this.rd[vpn] = TLB_NONE;
    this.wr[vpn] = TLB_NONE;
  }
}
