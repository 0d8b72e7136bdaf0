/**
 * One side of the ioreq-floor ping-pong (bench/ioreq-floor.ts): the requester or the responder,
 * passing one SharedArrayBuffer word back and forth with shared/wait.ts. Loaded from dist/.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { notifyIfSleeping, waitWhileEqual } from '../shared/wait.js';
import { FLOOR_WORD, REQUESTER_SLEEPERS, RESPONDER_SLEEPERS, STOP, type FloorWorkerData } from './ioreq-floor.js';

const { buffer, role, spins, batches, batchMs, warmupMs } = workerData as FloorWorkerData;
const i32 = new Int32Array(buffer);
// A wait this long means the peer is gone; it only bounds a broken run.
const TIMEOUT_MS = 5000;

if (role === 'responder') {
  // Even values are answers, odd values requests: answer v with v + 1.
  let last = 0;
  for (;;) {
    waitWhileEqual(i32, FLOOR_WORD, last, RESPONDER_SLEEPERS, spins, TIMEOUT_MS);
    const v = Atomics.load(i32, FLOOR_WORD);
    if (v === STOP) break;
    if (v === last) throw new Error('responder: requester vanished');
    last = v + 1;
    Atomics.store(i32, FLOOR_WORD, last);
    notifyIfSleeping(i32, FLOOR_WORD, REQUESTER_SLEEPERS);
  }
  parentPort!.postMessage({ done: true });
} else {
  let word = 0;
  /** Round trips until `ms` have passed; checks the clock every 256 round trips. */
  const runFor = (ms: number): [number, number] => {
    const start = process.hrtime.bigint();
    const limit = start + BigInt(Math.round(ms * 1e6));
    let n = 0;
    for (;;) {
      for (let k = 0; k < 256; k++) {
        const request = word + 1;
        Atomics.store(i32, FLOOR_WORD, request);
        notifyIfSleeping(i32, FLOOR_WORD, RESPONDER_SLEEPERS);
        if (!waitWhileEqual(i32, FLOOR_WORD, request, REQUESTER_SLEEPERS, spins, TIMEOUT_MS)) {
          throw new Error('requester: responder vanished');
        }
        word = Atomics.load(i32, FLOOR_WORD);
        if (word !== request + 1) throw new Error(`requester: answer ${word} to ${request}`);
      }
      n += 256;
      const now = process.hrtime.bigint();
      if (now >= limit) return [n, Number(now - start)];
    }
  };
  runFor(warmupMs);
  parentPort!.postMessage({ phase: 'timing' });
  const samples: [number, number][] = [];
  for (let b = 0; b < batches; b++) samples.push(runFor(batchMs));
  Atomics.store(i32, FLOOR_WORD, STOP);
  Atomics.notify(i32, FLOOR_WORD);
  parentPort!.postMessage({ phase: 'done', samples });
}
