/**
 * A reusable domain thread for the random-code fuzz: it runs one job at a time, a domain's
 * device model or one of its vCPUs, exactly as dm-worker.js and vcpu-worker.js run them
 * (runDeviceModel, Vcpu.run), then says it is done and waits for the next. Starting a fresh
 * worker costs ~90 ms of module loading; the fuzz runs thousands of domains.
 */
import { parentPort } from 'node:worker_threads';
import { encodeControlMessage } from '../shared/control-messages.js';
import type { DomainConfig } from '../shared/domain-config.js';
import { runDeviceModel } from '../device-model/run-device-model.js';
import { Vcpu } from '../hypervisor/vcpu.js';
import type { ThreadJob } from './random-code-fuzz-threads.js';

const port = parentPort;
if (port === null) throw new Error('random-code-fuzz-worker.js must run as a worker thread');

port.on('message', (job: ThreadJob) => {
  void run(job).then(() => port.postMessage({ done: true }));
});

async function run(job: ThreadJob): Promise<void> {
  const post = (bytes: Uint8Array): void => port!.postMessage(bytes);
  if (job.role === 'dm') {
    await runDeviceModel(job.data as DomainConfig, post);
    return;
  }
  const data = job.data as { config: DomainConfig; vcpu: number; start?: { eip: number; esp: number } };
  new Vcpu({ ...data, post: (m) => post(encodeControlMessage(m)) }).run();
}
