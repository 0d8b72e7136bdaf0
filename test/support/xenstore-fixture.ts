/**
 * A xenstored in the test's thread with the toolstack's privileged client and guest clients over
 * ring pages of their own: each guest client runs the daemon on its ring when it waits (kick).
 */
import { RingTransport, XenstoreClient } from '../../shared/xenstore-client.js';
import { createXenstoreRingPage, XenstoreRingPage } from '../../shared/xenstore-wire.js';
import { localXenstoreClient } from '../../toolstack/xenstore/local-client.js';
import { Xenstored, type XenstoredOptions } from '../../toolstack/xenstore/xenstored.js';

export interface XsFixture {
  readonly xs: Xenstored;
  readonly dom0: XenstoreClient;
  readonly notified: number[];
  /** Introduce domain `domid` with a fresh ring page and return its client and page. */
  guest(domid: number): { client: XenstoreClient; page: XenstoreRingPage };
}

export function xsFixture(options: XenstoredOptions = {}): XsFixture {
  const notified: number[] = [];
  const xs = new Xenstored({ notify: (d) => notified.push(d), ...options });
  const dom0 = localXenstoreClient(xs);
  return {
    xs,
    dom0,
    notified,
    guest(domid) {
      const page = new XenstoreRingPage(createXenstoreRingPage());
      xs.introduceRing(domid, page, 1);
      return { client: new XenstoreClient(new RingTransport(page, () => xs.kick(domid), 4)), page };
    },
  };
}

/** The error code a client call fails with, or 'ok'. */
export function codeOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}
