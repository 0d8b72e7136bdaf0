/**
 * How guests tell a xenstored running in its own worker to look at their rings, until event
 * channels to the guest carry it (issue 15): a doorbell page shared by every domain.
 *
 * Layout (Int32 words): 0 kicks — bumped by a client after it changes its ring; 1 sleepers —
 * xenstored's count while it sleeps on word 0 (shared/wait.ts: notify only when someone sleeps);
 * 2 stop — set to 1 to end the worker. Replies travel back on the ring page itself: xenstored
 * calls Atomics.notify on the page's rsp_prod word (XenstoreRingPage.notifyResponse) and the
 * client waits on it (XenstoreRingPage.waitResponse).
 */
import { notifyIfSleeping } from './wait.js';

export const XS_DOORBELL_BYTES = 16;
export const XS_DOORBELL_KICKS = 0;
export const XS_DOORBELL_SLEEPERS = 1;
export const XS_DOORBELL_STOP = 2;

export function createXenstoreDoorbell(): SharedArrayBuffer {
  return new SharedArrayBuffer(XS_DOORBELL_BYTES);
}

/** A client's notification: bump the kick count and wake xenstored if it sleeps. */
export function ringXenstoreDoorbell(door: Int32Array): void {
  Atomics.add(door, XS_DOORBELL_KICKS, 1);
  notifyIfSleeping(door, XS_DOORBELL_KICKS, XS_DOORBELL_SLEEPERS);
}

export function stopXenstoreWorker(door: Int32Array): void {
  Atomics.store(door, XS_DOORBELL_STOP, 1);
  ringXenstoreDoorbell(door);
}
