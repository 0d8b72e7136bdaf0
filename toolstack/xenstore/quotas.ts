/**
 * Per-domain quotas. The defaults are C xenstored's (tools/xenstored/domain.c;
 * /work/shared/research/xen-abi-facts.md §6) except where noted; 0 means no limit. The privileged
 * domain has none. Exceeding one is ENOSPC, as xenstored answers.
 */
export interface XsQuotas {
  /** Nodes a domain may own. */
  readonly nodes: number;
  /** Bytes of one node's value (xenstored's node-size, 2048, also counts permissions and child names; here only the value). */
  readonly valueBytes: number;
  /** Watches a domain may hold. */
  readonly watches: number;
  /** Transactions a domain may have open at once. */
  readonly transactions: number;
  /** Changes one transaction may make (xenstored's nodes per transaction). */
  readonly transactionOps: number;
  /** Permission entries after the owner's (xenstored: 5 in all). */
  readonly permEntries: number;
  /**
   * Replies waiting for the domain to take them off its ring: past this xenstored reads no more of
   * its requests until it does (xenstored's outstanding-requests quota, 20).
   */
  readonly outstanding: number;
  /**
   * Watch events waiting for the domain to take them: past this further events for it are dropped
   * and counted. Not a C xenstored default: hvmsim's bound on a watch flood's memory.
   */
  readonly queuedWatchEvents: number;
}

export const DEFAULT_XS_QUOTAS: XsQuotas = {
  nodes: 1000,
  valueBytes: 2048,
  watches: 128,
  transactions: 10,
  transactionOps: 1024,
  permEntries: 4,
  outstanding: 20,
  queuedWatchEvents: 1024,
};

/** True when `used` is within `limit` (0 = unlimited). */
export function within(used: number, limit: number): boolean {
  return limit === 0 || used <= limit;
}
