import { describe, expect, test } from 'vitest';
import { AdaptiveSpin } from '../shared/adaptive-spin.js';
import { waitStats, waitWhileEqual } from '../shared/wait.js';

function wait(spins: number, ready: boolean): void {
  const i32 = new Int32Array(new SharedArrayBuffer(8));
  if (ready) i32[0] = 1;
  waitWhileEqual(i32, 0, 0, 1, spins, 0);
}

describe('adaptive spin', () => {
  test('records whether a wait had to sleep', () => {
    wait(10, true);
    expect(waitStats.lastSlept).toBe(false);
    wait(10, false);
    expect(waitStats.lastSlept).toBe(true);
  });

  test('keeps the full budget while spinning pays, halves it when waits sleep, probes again later with a long spin', () => {
    const s = new AdaptiveSpin(2000);
    wait(s.spins, true);
    s.update();
    expect(s.spins).toBe(2000);
    const seen: number[] = [];
    for (let k = 0; k < 7; k++) {
      wait(0, false); // a wait that slept
      s.update();
      seen.push(s.spins);
    }
    expect(seen).toEqual([1000, 500, 250, 125, 62, 0, 0]);
    let probes = 0;
    for (let k = 0; k < 300; k++) {
      wait(0, false);
      s.update();
      if (s.spins === 2000 * 32) {
        probes++; // a probe spins long enough to catch a peer waking from sleep
        wait(10, true); // the probe paid off
        s.update();
        expect(s.spins).toBe(2000);
        break;
      }
    }
    expect(probes).toBe(1);
  });

  test('a fixed budget never moves', () => {
    const s = new AdaptiveSpin(2000, false);
    wait(0, false);
    s.update();
    expect(s.spins).toBe(2000);
  });
});
