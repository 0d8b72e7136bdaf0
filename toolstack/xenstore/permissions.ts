/**
 * Per-node permissions as xenstored keeps them (docs/misc/xenstore.txt "Permissions";
 * /work/shared/research/xen-abi-facts.md §6): a list of (letter, domid) entries whose first entry is
 * the owner, its letter the rights of every domain not listed later. Letters: r read, w write,
 * b both, n none. The privileged domain (dom0) and the owner may do everything.
 */

export interface Perm {
  readonly domid: number;
  readonly read: boolean;
  readonly write: boolean;
}

/** The domain that is privileged here: dom0, as the toolstack's own socket connection in xenstored. */
export const PRIVILEGED_DOMID = 0;
/** Largest domid a permission entry may name (DOMID_FIRST_RESERVED - 1 is 0x7FEF; DOMID_ANY 0x7FF4 is not supported). */
const MAX_DOMID = 0x7fef;

export function parsePerm(text: string): Perm | undefined {
  const m = /^([rwbn])(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const domid = Number(m[2]);
  if (domid > MAX_DOMID) return undefined;
  const letter = m[1]!;
  return { domid, read: letter === 'r' || letter === 'b', write: letter === 'w' || letter === 'b' };
}

export function formatPerm(p: Perm): string {
  const letter = p.read && p.write ? 'b' : p.read ? 'r' : p.write ? 'w' : 'n';
  return `${letter}${p.domid}`;
}

export function ownerOf(perms: readonly Perm[]): number {
  return perms[0]!.domid;
}

export function canRead(perms: readonly Perm[], caller: number): boolean {
  return rights(perms, caller).read;
}

export function canWrite(perms: readonly Perm[], caller: number): boolean {
  return rights(perms, caller).write;
}

function rights(perms: readonly Perm[], caller: number): { read: boolean; write: boolean } {
  if (caller === PRIVILEGED_DOMID || caller === perms[0]!.domid) return { read: true, write: true };
  for (let i = 1; i < perms.length; i++) if (perms[i]!.domid === caller) return perms[i]!;
  return perms[0]!;
}

/** A new node's list: its parent's, owned by the creator when the creator is not privileged. */
export function inheritPerms(parent: readonly Perm[], creator: number): readonly Perm[] {
  if (creator === PRIVILEGED_DOMID) return parent;
  return [{ ...parent[0]!, domid: creator }, ...parent.slice(1).filter((p) => p.domid !== creator)];
}
