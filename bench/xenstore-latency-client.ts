/**
 * The guest's half of bench/xenstore-latency.ts when xenstored is in the main thread: a ring
 * client in a worker (where a vCPU would be), ringing the doorbell and waiting on rsp_prod.
 * workerData: { doorbell, buffer, requests, spins }; posts the measured row.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RingTransport, XenstoreClient } from '../shared/xenstore-client.js';
import { ringXenstoreDoorbell } from '../shared/xenstore-doorbell.js';
import { XenstoreRingPage } from '../shared/xenstore-wire.js';
import { measureLatency } from './xenstore-latency-measure.js';

const { doorbell, buffer, requests, spins, mode } = workerData as { doorbell: SharedArrayBuffer; buffer: SharedArrayBuffer; requests: number; spins: number; mode: string };
const door = new Int32Array(doorbell);
const page = new XenstoreRingPage(buffer);
const wake = (): void => {
  const seen = page.load('rspProd');
  ringXenstoreDoorbell(door);
  if (page.responseBytesAvailable() === 0) page.waitResponse(seen, spins, 5);
};
parentPort!.postMessage(measureLatency(mode, new XenstoreClient(new RingTransport(page, wake, 2000)), '/local/domain/1', requests));
