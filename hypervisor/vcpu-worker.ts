/**
 * Entry point of a hypervisor worker thread: one per vCPU. It runs the vCPU loop synchronously
 * (blocking waits on shared memory, never the event loop) and reports to the toolstack with
 * msgpackr-encoded control messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { encodeControlMessage, type ControlMessage } from '../shared/control-messages.js';
import type { DomainConfig } from '../shared/domain-config.js';
import { Vcpu } from './vcpu.js';

interface VcpuWorkerData {
  config: DomainConfig;
  vcpu: number;
  /** Secondary vCPUs: where VCPUOP_up asked them to start. */
  start?: { eip: number; esp: number };
}

const data = workerData as VcpuWorkerData;
const post = (m: ControlMessage): void => parentPort!.postMessage(encodeControlMessage(m));
const vcpu = new Vcpu({ config: data.config, vcpu: data.vcpu, start: data.start, post });
vcpu.run();
