/** The timing loop of bench/xenstore-latency.ts: READ and WRITE round trips, medians and p99 in µs. */
import type { XenstoreClient } from '../shared/xenstore-client.js';
import { median, quantile } from './statistics.js';

export interface LatencyRow {
  mode: string;
  readMedianUs: number;
  readP99Us: number;
  writeMedianUs: number;
  writeP99Us: number;
}

export function measureLatency(mode: string, client: XenstoreClient, home: string, n: number): LatencyRow {
  const warm = Math.min(2000, n);
  client.write(`${home}/k`, 'value');
  const time = (f: () => void): number[] => {
    for (let i = 0; i < warm; i++) f();
    const t = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const s = process.hrtime.bigint();
      f();
      t[i] = Number(process.hrtime.bigint() - s) / 1000;
    }
    return t;
  };
  const reads = time(() => client.read(`${home}/k`));
  let i = 0;
  const writes = time(() => client.write(`${home}/k`, String(i++)));
  return { mode, readMedianUs: median(reads), readP99Us: quantile(reads, 0.99), writeMedianUs: median(writes), writeP99Us: quantile(writes, 0.99) };
}
