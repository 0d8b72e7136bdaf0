/**
 * What the device model's loop runs besides the ioreqs: a source is anything timed or
 * event-driven — the display refresh, input replay, console traffic, later disk completions and
 * PV back ends. Each says when it next needs the loop (a deadline), which event-channel ports of
 * the device model's table wake it, and what to do then (poll). The loop sleeps until the
 * earliest deadline or an event, then polls every source that is due or was woken; a source that
 * has nothing to do says Infinity, and then costs nothing while the guest idles.
 *
 * The loop (ioreq-server.ts) calls sources only between requests, with the buffered ring
 * drained first (so posted writes are visible to them), and never while a request is half
 * served. A source that throws crashes the domain, as a device fault does.
 */

export interface LoopSource {
  /** For crash reports. */
  readonly name: string;
  /**
   * Ports of the device model's event-channel table whose events concern this source. The loop
   * unmasks them after each delivery (unless they are its own ioreq ports, which it serves
   * first) and polls the source with `woken` set.
   */
  readonly ports: readonly number[];
  /**
   * performance.now() (ms) at which the source next needs a poll; at or before `now`: at once;
   * Infinity: only when one of its ports fires.
   */
  nextDeadline(now: number): number;
  /** Do what is due at `now`; `woken` when one of its ports fired since the last poll. */
  poll(now: number, woken: boolean): void;
  /**
   * The domain is being destroyed: last work (a final refresh). A promise for work that must
   * outlive the loop (writing a screenshot); it never rejects.
   */
  finish?(): Promise<void> | undefined;
}
