/**
 * XenStore paths: which strings name a node, and how a domain's relative paths resolve
 * (docs/misc/xenstore.txt; xs_wire.h's XENSTORE_ABS_PATH_MAX / XENSTORE_REL_PATH_MAX;
 * /work/shared/research/xen-abi-facts.md §6).
 *
 * A node path is "/" or "/" followed by segments of A–Z a–z 0–9 - _ @ joined by single '/',
 * with no trailing '/'. A path without a leading '/' is relative to /local/domain/<caller>.
 * The two special watch paths start with '@' and name no node.
 */
import { XENSTORE_ABS_PATH_MAX, XENSTORE_REL_PATH_MAX } from '../../shared/xenstore-wire.js';

export const INTRODUCE_DOMAIN_WATCH = '@introduceDomain';
export const RELEASE_DOMAIN_WATCH = '@releaseDomain';

const SEGMENT_CHARS = /^[A-Za-z0-9\-_@]+$/;

export function domainPath(domid: number): string {
  return `/local/domain/${domid}`;
}

/** The absolute path a caller means, or undefined when the string is not a valid node path. */
export function resolveNodePath(raw: string, caller: number): string | undefined {
  // As xenstored: a name starting with '@' is not made relative, and is no node.
  if (raw.length === 0 || raw.startsWith('@')) return undefined;
  let abs: string;
  if (raw.startsWith('/')) {
    if (raw.length > XENSTORE_ABS_PATH_MAX) return undefined;
    abs = raw;
  } else {
    if (raw.length > XENSTORE_REL_PATH_MAX) return undefined;
    abs = `${domainPath(caller)}/${raw}`;
  }
  if (abs === '/') return abs;
  const segs = abs.slice(1).split('/');
  for (const s of segs) if (!SEGMENT_CHARS.test(s)) return undefined; // '' catches '//' and a trailing '/'
  return abs;
}

/** A watch path: a node path or one of the special '@' names. */
export function resolveWatchPath(raw: string, caller: number): string | undefined {
  if (raw === INTRODUCE_DOMAIN_WATCH || raw === RELEASE_DOMAIN_WATCH) return raw;
  return resolveNodePath(raw, caller);
}

/** The path's segments below the root ("/" has none). */
export function segmentsOf(abs: string): string[] {
  return abs === '/' ? [] : abs.slice(1).split('/');
}

export function parentOf(abs: string): string {
  const i = abs.lastIndexOf('/');
  return i <= 0 ? '/' : abs.slice(0, i);
}

/** True when `path` is `ancestor` or lies below it. */
export function isAtOrBelow(path: string, ancestor: string): boolean {
  if (ancestor === '/') return path.startsWith('/');
  return path === ancestor || path.startsWith(ancestor + '/');
}

/** How a relative watch reports an absolute path: relative again when it lies under the domain's home. */
export function relativeTo(abs: string, caller: number): string {
  const home = domainPath(caller) + '/';
  return abs.startsWith(home) ? abs.slice(home.length) : abs;
}
