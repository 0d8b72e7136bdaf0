/**
 * The device-model worker's entry (dist/device-model/dm-worker.js). The toolstack starts one per
 * domain with `new Worker(url, { workerData: DomainConfig })`; messages to it are msgpackr-encoded
 * control messages on parentPort. The thread ends when the domain is destroyed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DomainConfig } from '../shared/domain-config.js';
import { runDeviceModel } from './run-device-model.js';

const port = parentPort;
if (port === null) throw new Error('dm-worker.js must run as a worker thread');
runDeviceModel(workerData as DomainConfig, (bytes) => {
  // An encoded message that owns its whole buffer is transferred rather than copied.
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  port.postMessage(bytes, own ? [bytes.buffer as ArrayBuffer] : []);
});
