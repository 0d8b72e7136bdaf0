/**
 * The XenStore tree: nodes with a value, a permission list and named children
 * (docs/misc/xenstore.txt). The tree is persistent — a change copies the nodes on the path from
 * the root and shares the rest — so a transaction's snapshot is one root reference taken at
 * TRANSACTION_START, and a commit builds its result on a copy of the live root and swaps it in
 * only when every change applied.
 *
 * Each node carries a generation number, new whenever its value, permissions or set of children
 * changes: a transaction remembers the generation of every node it read, and a commit whose nodes
 * have moved on meanwhile fails with EAGAIN (xenstored's per-node generation counts).
 *
 * TreeView holds a root and applies the mutating operations with xenstored's permission checks,
 * recording what changed (for watches) and the change in each owner's node count (for quotas).
 */
import type { XsErrorName } from '../../shared/xenstore-wire.js';
import { canRead, canWrite, inheritPerms, ownerOf, PRIVILEGED_DOMID, type Perm } from './permissions.js';
import { parentOf, segmentsOf } from './paths.js';
import { within, type XsQuotas } from './quotas.js';

export interface XsNode {
  readonly value: Uint8Array;
  readonly perms: readonly Perm[];
  readonly children: ReadonlyMap<string, XsNode>;
  readonly gen: number;
}

/** A request's failure, named as the protocol names it; the daemon turns it into an ERROR reply. */
export class XsError extends Error {
  constructor(readonly code: XsErrorName) {
    super(code);
  }
}

/** What a change did, for watches: the path, and the permissions that decide who may see it. */
export interface XsChange {
  readonly path: string;
  readonly kind: 'write' | 'rm' | 'perms';
  /** After the change; for 'rm', the removed node's. */
  readonly perms: readonly Perm[];
}

const EMPTY = new Uint8Array(0);

/** The root as xenstored starts: "/" owned by dom0, no access for others; generation 0 means "absent". */
export function initialRoot(): XsNode {
  return { value: EMPTY, perms: [{ domid: PRIVILEGED_DOMID, read: false, write: false }], children: new Map(), gen: 1 };
}

/** Generation numbers shared by the live tree and every transaction, so none is ever reused. */
export class Generations {
  private next = 2;
  take(): number {
    return this.next++;
  }
}

export function lookup(root: XsNode, path: string): XsNode | undefined {
  let n: XsNode | undefined = root;
  for (const s of segmentsOf(path)) {
    n = n.children.get(s);
    if (!n) return undefined;
  }
  return n;
}

/** The deepest node that exists on the way to `path` (the root at worst). */
export function deepestExisting(root: XsNode, path: string): XsNode {
  let n = root;
  for (const s of segmentsOf(path)) {
    const c = n.children.get(s);
    if (!c) break;
    n = c;
  }
  return n;
}

/**
 * A missing node is EACCES rather than ENOENT when the caller could not read where it would be,
 * as xenstored answers, so a domain cannot probe which of another domain's nodes exist.
 */
export function missingError(root: XsNode, path: string, caller: number): XsError {
  return new XsError(canRead(deepestExisting(root, path).perms, caller) ? 'ENOENT' : 'EACCES');
}

export function countNodes(node: XsNode, byOwner: Map<number, number>, sign: 1 | -1): void {
  const o = ownerOf(node.perms);
  byOwner.set(o, (byOwner.get(o) ?? 0) + sign);
  for (const c of node.children.values()) countNodes(c, byOwner, sign);
}

export interface OwnerCounts {
  /** Nodes the domain owns in the live tree. */
  owned(domid: number): number;
}

export class TreeView {
  readonly changes: XsChange[] = [];
  /** Nodes gained (+) or lost (-) per owner since this view was taken. */
  readonly ownerDelta = new Map<number, number>();

  constructor(
    public root: XsNode,
    private readonly gens: Generations,
    private readonly counts: OwnerCounts,
    private readonly quotas: (domid: number) => XsQuotas,
  ) {}

  get(path: string): XsNode | undefined {
    return lookup(this.root, path);
  }

  /** A node the caller may read: ENOENT when absent, EACCES when its permissions forbid. */
  readable(caller: number, path: string): XsNode {
    const n = this.get(path);
    if (!n) throw missingError(this.root, path, caller);
    if (!canRead(n.perms, caller)) throw new XsError('EACCES');
    return n;
  }

  write(caller: number, path: string, value: Uint8Array): void {
    const q = this.quotas(caller);
    if (caller !== PRIVILEGED_DOMID && !within(value.length, q.valueBytes)) throw new XsError('ENOSPC');
    const existing = this.get(path);
    if (existing) {
      if (!canWrite(existing.perms, caller)) throw new XsError('EACCES');
      this.put(path, { ...existing, value, gen: this.gens.take() });
    } else {
      this.create(caller, path, value);
    }
    this.changes.push({ path, kind: 'write', perms: this.get(path)!.perms });
  }

  /** MKDIR: an existing node is left as it is (xenstored answers OK). */
  mkdir(caller: number, path: string): void {
    if (this.get(path)) return;
    this.create(caller, path, EMPTY);
    this.changes.push({ path, kind: 'write', perms: this.get(path)!.perms });
  }

  /** RM: a missing node whose parent exists is fine; a missing parent is ENOENT. */
  rm(caller: number, path: string): void {
    if (path === '/') throw new XsError('EINVAL');
    const n = this.get(path);
    if (!n) {
      const parent = this.get(parentOf(path));
      if (!parent) throw missingError(this.root, path, caller);
      if (!canWrite(parent.perms, caller)) throw new XsError('EACCES');
      return;
    }
    if (!canWrite(n.perms, caller)) throw new XsError('EACCES');
    countNodes(n, this.ownerDelta, -1);
    this.put(path, undefined);
    this.changes.push({ path, kind: 'rm', perms: n.perms });
  }

  setPerms(caller: number, path: string, perms: readonly Perm[]): void {
    const n = this.get(path);
    if (!n) throw missingError(this.root, path, caller);
    if (!canWrite(n.perms, caller)) throw new XsError('EACCES');
    if (caller !== PRIVILEGED_DOMID) {
      // Only the owner may change a list, and it may not give the node away.
      if (ownerOf(n.perms) !== caller) throw new XsError('EACCES');
      if (ownerOf(perms) !== caller) throw new XsError('EPERM');
      if (!within(perms.length - 1, this.quotas(caller).permEntries)) throw new XsError('ENOSPC');
    }
    const from = ownerOf(n.perms);
    const to = ownerOf(perms);
    if (from !== to) {
      this.bump(from, -1);
      this.bump(to, 1);
      this.checkNodes(to, 0);
    }
    this.put(path, { ...n, perms, gen: this.gens.take() });
    this.changes.push({ path, kind: 'perms', perms });
  }

  /** Create `path` and any missing parents, each inheriting its parent's permissions. */
  private create(caller: number, path: string, value: Uint8Array): void {
    const segs = segmentsOf(path);
    let depth = 0;
    let n = this.root;
    while (depth < segs.length && n.children.has(segs[depth]!)) n = n.children.get(segs[depth++]!)!;
    // Creating below a node needs write permission on the deepest existing ancestor.
    if (!canWrite(n.perms, caller)) throw new XsError('EACCES');
    const missing = segs.length - depth;
    const perms = inheritPerms(n.perms, caller);
    this.checkNodes(ownerOf(perms), missing);
    let built: XsNode | undefined;
    for (let i = segs.length - 1; i >= depth; i--) {
      const children = new Map<string, XsNode>();
      if (built) children.set(segs[i + 1]!, built);
      built = { value: i === segs.length - 1 ? value : EMPTY, perms, children, gen: this.gens.take() };
    }
    this.bump(ownerOf(perms), missing);
    this.put('/' + segs.slice(0, depth + 1).join('/'), built!);
  }

  private checkNodes(owner: number, adding: number): void {
    if (owner === PRIVILEGED_DOMID) return;
    const total = this.counts.owned(owner) + (this.ownerDelta.get(owner) ?? 0) + adding;
    if (!within(total, this.quotas(owner).nodes)) throw new XsError('ENOSPC');
  }

  private bump(owner: number, by: number): void {
    this.ownerDelta.set(owner, (this.ownerDelta.get(owner) ?? 0) + by);
  }

  /** Replace (or with undefined remove) the node at path, copying the path from the root. */
  private put(path: string, node: XsNode | undefined): void {
    const segs = segmentsOf(path);
    if (segs.length === 0) {
      if (node) this.root = node;
      return;
    }
    const rebuild = (at: XsNode, i: number): XsNode => {
      const name = segs[i]!;
      const children = new Map(at.children);
      if (i === segs.length - 1) {
        const had = children.has(name);
        if (node) children.set(name, node);
        else children.delete(name);
        // The parent's set of children changed only when a child came or went.
        const gen = had !== (node !== undefined) ? this.gens.take() : at.gen;
        return { ...at, children, gen };
      }
      children.set(name, rebuild(at.children.get(name)!, i + 1));
      return { ...at, children };
    };
    this.root = rebuild(this.root, 0);
  }
}
