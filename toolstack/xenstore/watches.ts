/**
 * Watches (docs/misc/xenstore.txt "WATCH"; /work/shared/research/xen-abi-facts.md §6): a (path,
 * token) pair a connection registered. A change fires the watches on its path and on the path's
 * ancestors; removing a node also fires the watches below it, reporting the watched path. A watch
 * fires only for a domain allowed to read the node (for a removal, the removed node's permissions),
 * so no domain learns of another domain's private nodes. A watch registered with a relative path
 * reports relative paths.
 */
import { canRead } from './permissions.js';
import { isAtOrBelow, relativeTo } from './paths.js';
import type { XsChange } from './tree.js';

export interface Watch {
  /** Absolute node path or a special '@' name. */
  readonly path: string;
  readonly token: string;
  readonly relative: boolean;
}

/** The path a watch reports for a change, or undefined when the change does not fire it for `domid`. */
export function firedPath(w: Watch, change: XsChange, domid: number): string | undefined {
  if (w.path.startsWith('@')) return undefined;
  let reported: string;
  if (isAtOrBelow(change.path, w.path)) reported = change.path;
  else if (change.kind === 'rm' && isAtOrBelow(w.path, change.path)) reported = w.path;
  else return undefined;
  if (!canRead(change.perms, domid)) return undefined;
  return w.relative ? relativeTo(reported, domid) : reported;
}
