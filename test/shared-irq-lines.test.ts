import { describe, expect, it } from 'vitest';
import { createIrqLinesBuffer, IrqLines } from '../shared/irq-lines.js';

function setup() {
  const sab = createIrqLinesBuffer();
  return { dm: new IrqLines(sab), hv: new IrqLines(sab) };
}

describe('ISA IRQ lines', () => {
  it('sets levels; re-asserting an asserted line or deasserting a low one changes nothing', () => {
    const { dm, hv } = setup();
    const g0 = hv.generation();
    expect(dm.setIsaIrqLevel(4, true)).toBe(true);
    expect(dm.setIsaIrqLevel(4, true)).toBe(false);
    expect(hv.levels()).toBe(1 << 4);
    expect(hv.generation()).toBe(g0 + 1);
    expect(dm.setIsaIrqLevel(12, true)).toBe(true);
    expect(hv.levels()).toBe((1 << 4) | (1 << 12));
    expect(dm.setIsaIrqLevel(4, false)).toBe(true);
    expect(dm.setIsaIrqLevel(4, false)).toBe(false);
    expect(dm.setIsaIrqLevel(1, false)).toBe(false);
    expect(hv.levels()).toBe(1 << 12);
    expect(hv.generation()).toBe(g0 + 3);
  });

  it('remembers a pulse that is over before the vPIC looks (sticky rising edges)', () => {
    const { dm, hv } = setup();
    dm.setIsaIrqLevel(1, true);
    dm.setIsaIrqLevel(1, false);
    expect(hv.levels()).toBe(0);
    expect(hv.takeRisingEdges()).toBe(1 << 1);
    expect(hv.takeRisingEdges()).toBe(0);
  });

  it('kicks vCPU 0 on a rising edge only, once until acknowledged', () => {
    const { dm, hv } = setup();
    expect(hv.kickPending(0)).toBe(false);
    dm.setIsaIrqLevel(14, true);
    expect(hv.kickPending(0)).toBe(true);
    expect(hv.acknowledgeKick(0)).toBe(true);
    expect(hv.kickPending(0)).toBe(false);
    dm.setIsaIrqLevel(14, false);
    expect(hv.kickPending(0)).toBe(false);
    dm.setIsaIrqLevel(3, true, 1);
    expect(hv.kickPending(0)).toBe(false);
    expect(hv.kickPending(1)).toBe(true);
  });

  it("gives the interpreter a one-word view of the vCPU's kick flag", () => {
    const { dm, hv } = setup();
    const view = hv.kickView(1);
    expect(Atomics.load(view, 0)).toBe(0);
    dm.kick(1);
    expect(Atomics.load(view, 0)).toBe(1);
    hv.acknowledgeKick(1);
    expect(Atomics.load(view, 0)).toBe(0);
  });

  it('lets a halted vCPU wait for a kick, with a timeout', () => {
    const { dm, hv } = setup();
    expect(hv.waitForKick(0, 10, 1)).toBe(false);
    dm.kick(0);
    expect(hv.waitForKick(0, 0, 1000)).toBe(true);
    // Waiting does not consume the kick; acknowledging does.
    expect(hv.acknowledgeKick(0)).toBe(true);
    expect(hv.acknowledgeKick(0)).toBe(false);
  });

  it('rejects IRQs outside 0-15 and vCPUs outside the area', () => {
    const { dm } = setup();
    expect(() => dm.setIsaIrqLevel(16, true)).toThrow(RangeError);
    expect(() => dm.setIsaIrqLevel(-1, true)).toThrow(RangeError);
    expect(() => dm.kick(32)).toThrow(RangeError);
  });
});
