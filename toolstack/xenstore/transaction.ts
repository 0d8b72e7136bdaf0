/**
 * One open transaction (docs/misc/xenstore.txt "TRANSACTION_START"; xenstored's transaction.c
 * keeps per-node generation counts, /work/shared/research/xen-abi-facts.md §6). Requests carrying
 * its id see a private snapshot: the live root as it was at START plus the transaction's own
 * changes. It remembers the generation of every node it read (0 for a node it found absent) and
 * replays its changes on the live tree at commit; a read node that moved on meanwhile is a
 * conflict, answered EAGAIN, and the client redoes the whole transaction.
 */
import type { Perm } from './permissions.js';
import { isAtOrBelow } from './paths.js';
import { TreeView, XsError, type XsNode } from './tree.js';

export type XsOp =
  | { readonly kind: 'write'; readonly path: string; readonly value: Uint8Array }
  | { readonly kind: 'mkdir'; readonly path: string }
  | { readonly kind: 'rm'; readonly path: string }
  | { readonly kind: 'perms'; readonly path: string; readonly perms: readonly Perm[] };

export function applyOp(view: TreeView, caller: number, op: XsOp): void {
  switch (op.kind) {
    case 'write':
      return view.write(caller, op.path, op.value);
    case 'mkdir':
      return view.mkdir(caller, op.path);
    case 'rm':
      return view.rm(caller, op.path);
    case 'perms':
      return view.setPerms(caller, op.path, op.perms);
  }
}

export class Transaction {
  /** Generation seen per path read; 0 = absent. */
  readonly reads = new Map<string, number>();
  readonly log: XsOp[] = [];

  constructor(
    readonly id: number,
    readonly domid: number,
    readonly view: TreeView,
  ) {}

  /** Look a node up in the snapshot and remember what was seen, unless the transaction itself changed it. */
  see(path: string): XsNode | undefined {
    const n = this.view.get(path);
    if (!this.log.some((op) => isAtOrBelow(path, op.path)) && !this.reads.has(path)) this.reads.set(path, n?.gen ?? 0);
    return n;
  }

  /** Apply a change to the snapshot; the log keeps it for the commit. */
  change(op: XsOp, maxOps: number): void {
    if (maxOps !== 0 && this.log.length >= maxOps) throw new XsError('ENOSPC');
    applyOp(this.view, this.domid, op);
    this.log.push(op);
  }

  /** True when a node this transaction read is no longer as it saw it in `live`. */
  conflicts(live: (path: string) => XsNode | undefined): boolean {
    for (const [path, gen] of this.reads) if ((live(path)?.gen ?? 0) !== gen) return true;
    return false;
  }
}
