/**
 * Domain threads for the random-code fuzz, reused from case to case: a ThreadStarter (see
 * toolstack/domain.ts) that hands the domain an idle pooled worker running the same entry
 * code (random-code-fuzz-worker.ts) instead of a new Worker. To the domain each job looks like
 * a worker of its own: its messages, an 'exit' when the job returns, and terminate().
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { DomainThread, ThreadStarter } from '../toolstack/domain.js';
import { compiledModule, DM_WORKER, VCPU_WORKER } from '../toolstack/worker-urls.js';

export interface ThreadJob {
  role: 'dm' | 'vcpu';
  data: unknown;
}

const FUZZ_WORKER = compiledModule('bench/random-code-fuzz-worker.js');

/** One job on a pooled worker, as the domain sees it. */
class PooledThread extends EventEmitter implements DomainThread {
  private ended = false;

  constructor(
    private readonly worker: Worker,
    private readonly release: (reusable: boolean) => void,
  ) {
    super();
  }

  /** A message from the worker while this job runs. */
  deliver(value: unknown): void {
    if (value instanceof Uint8Array) this.emit('message', value);
    else if (typeof value === 'object' && value !== null && 'done' in value) this.end(0, true);
  }

  fail(err: unknown): void {
    if (this.ended) return;
    this.emit('error', err);
    this.end(1, false);
  }

  end(code: number, reusable: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.release(reusable);
    this.emit('exit', code);
  }

  /** The domain gave up on this job: the worker goes, the pool starts a fresh one next time. */
  async terminate(): Promise<number> {
    if (!this.ended) {
      this.end(1, false);
      await this.worker.terminate();
    }
    return 1;
  }
}

export class FuzzThreads {
  private readonly idle: Worker[] = [];
  private readonly current = new Map<Worker, PooledThread>();
  /** Workers started, and workers lost (an error, a job that had to be terminated). */
  started = 0;
  lost = 0;

  readonly starter: ThreadStarter = (entry, workerData) => {
    const role = entry.href === DM_WORKER.href ? 'dm' : entry.href === VCPU_WORKER.href ? 'vcpu' : undefined;
    if (role === undefined) throw new Error(`the fuzz thread pool cannot start ${entry.href}`);
    const worker = this.idle.pop() ?? this.startWorker();
    const thread = new PooledThread(worker, (reusable) => {
      this.current.delete(worker);
      if (reusable) this.idle.push(worker);
      else {
        this.lost++;
        void worker.terminate();
      }
    });
    this.current.set(worker, thread);
    worker.postMessage({ role, data: workerData } satisfies ThreadJob);
    return thread;
  };

  private startWorker(): Worker {
    const w = new Worker(FUZZ_WORKER);
    this.started++;
    w.on('message', (value: unknown) => this.current.get(w)?.deliver(value));
    w.on('error', (err) => this.current.get(w)?.fail(err));
    w.on('exit', () => {
      this.current.get(w)?.end(1, false);
      const k = this.idle.indexOf(w);
      if (k >= 0) this.idle.splice(k, 1);
    });
    return w;
  }

  async close(): Promise<void> {
    await Promise.all(this.idle.splice(0).map((w) => w.terminate()));
  }
}
