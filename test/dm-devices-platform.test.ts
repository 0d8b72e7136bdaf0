import { describe, expect, it } from 'vitest';
import { IoBus } from '../shared/io-bus.js';
import type { AccessSize } from '../shared/io-bus.js';
import { attachPcDevices } from '../device-model/devices/pc-devices.js';
import { PM_FUNCTION_BDF } from '../device-model/devices/piix4-pm.js';

function platform() {
  const effects = {
    irq: [] as [number, boolean][],
    out: [] as number[],
    shutdowns: [] as string[],
    exits: [] as number[],
  };
  const bus = new IoBus();
  const devices = attachPcDevices(bus, {
    raiseIrq: (line, level) => effects.irq.push([line, level]),
    output: (bytes) => effects.out.push(...bytes),
    shutdown: (reason) => effects.shutdowns.push(reason),
    debugExit: (status) => effects.exits.push(status),
  });
  const read = (port: number, size: AccessSize) => {
    const value = bus.readPort(port, size);
    if (value === undefined) throw new Error(`no device at 0x${port.toString(16)}`);
    return value;
  };
  const write = (port: number, size: AccessSize, value: number) => {
    if (!bus.writePort(port, size, value)) throw new Error(`no device at 0x${port.toString(16)}`);
  };
  return { devices, bus, effects, read, write };
}

describe('isa-debug-exit (0xF4, 4 ports)', () => {
  it.each([
    [1, 0x1ff, 0x1ff, 255],
    [2, 0x1234, 0x2469, 105],
    [4, 0x12345678, 0x2468acf1, 241],
    [4, 0xffffffff, 0x1ffffffff, 255],
    [1, 0x21, 0x43, 67],
  ] as const)('a %i-byte write of %s exits with (v << 1) | 1 = %s (host status %i, as QEMU)', (size, v, status, host) => {
    const { write, effects } = platform();
    write(0xf4, size, v);
    expect(effects.exits).toEqual([status]);
    expect(status % 256).toBe(host);
  });

  it('answers anywhere in its window, reads 0, and ends nothing on a read', () => {
    const { read, write, effects, bus } = platform();
    expect([read(0xf4, 1), read(0xf4, 2), read(0xf4, 4), read(0xf7, 1)]).toEqual([0, 0, 0, 0]);
    expect(effects.exits).toEqual([]);
    write(0xf6, 1, 5);
    expect(effects.exits).toEqual([11]);
    expect(bus.portOwner(0xf8)).toBeUndefined();
  });
});

describe('PIIX4 PM1a (0x600–0x605)', () => {
  it('powers off on SLP_EN with SLP_TYP S5 (0x2000) or S4 (0x2800), as QEMU pc does', () => {
    for (const value of [0x2000, 0x2800, 0x2001]) {
      const { write, effects } = platform();
      write(0x604, 2, value);
      expect(effects.shutdowns).toEqual(['poweroff']);
    }
  });

  it('does nothing for other sleep types, without SLP_EN, or for byte and dword writes', () => {
    const { write, read, effects } = platform();
    for (const value of [0x2400, 0x3400, 0x3c00, 0x1c00, 0x0000]) write(0x604, 2, value);
    write(0x605, 1, 0x20); // QEMU: no power-off from a byte write
    write(0x604, 4, 0x2000); // QEMU: 32-bit writes are dropped
    expect(effects.shutdowns).toEqual([]);
    expect(read(0x604, 2)).toBe(0x0000);
  });

  it('keeps PM1a_CNT except SLP_EN, which reads 0', () => {
    const { write, read } = platform();
    write(0x604, 2, 0x1c01);
    expect(read(0x604, 2)).toBe(0x1c01);
    write(0x604, 2, 0x2401); // S3: not modelled, stored without SLP_EN
    expect(read(0x604, 2)).toBe(0x0401);
    write(0x604, 1, 0x00);
    expect(read(0x604, 2)).toBe(0x0400);
  });

  it('keeps PM1a_EN as written and clears PM1a_STS bits written with 1', () => {
    const { write, read, devices } = platform();
    write(0x602, 2, 0xffff);
    expect(read(0x602, 2)).toBe(0xffff);
    write(0x603, 1, 0x01);
    expect(read(0x602, 2)).toBe(0x01ff);
    devices.pm.pressPowerButton();
    expect(read(0x600, 2)).toBe(0x0100);
    write(0x600, 2, 0xfeff); // every bit but PWRBTN_STS: nothing to clear
    expect(read(0x600, 2)).toBe(0x0100);
    write(0x601, 1, 0x01);
    expect(read(0x600, 2)).toBe(0x0000);
    expect(read(0x600, 4)).toBe(0x01ff0000); // STS then EN
  });

  it('raises the SCI (IRQ 9) for an enabled power-button event until it is cleared', () => {
    const { write, devices, effects } = platform();
    devices.pm.pressPowerButton();
    expect(effects.irq).toEqual([]); // PWRBTN_EN clear
    write(0x602, 2, 0x0100);
    expect(effects.irq).toEqual([[9, true]]);
    write(0x600, 2, 0x0100);
    expect(effects.irq).toEqual([
      [9, true],
      [9, false],
    ]);
    expect(effects.shutdowns).toEqual([]);
  });

  it('is announced by the PIIX4 PM function at 00:01.3 with PMBA 0x600, decoding on', () => {
    const { devices } = platform();
    const pm = devices.pciHost;
    expect(pm.configRead(PM_FUNCTION_BDF, 0x00, 4)).toBe(0x71138086);
    expect(pm.configRead(PM_FUNCTION_BDF, 0x08, 4)).toBe(0x06800003);
    expect(pm.configRead(PM_FUNCTION_BDF, 0x3c, 2)).toBe(0x0109);
    expect(pm.configRead(PM_FUNCTION_BDF, 0x40, 4)).toBe(0x00000601);
    expect(pm.configRead(PM_FUNCTION_BDF, 0x80, 1)).toBe(0x01);
    pm.configWrite(PM_FUNCTION_BDF, 0x40, 4, 0xb001); // cannot move the block
    expect(pm.configRead(PM_FUNCTION_BDF, 0x40, 4)).toBe(0x00000601);
  });
});

describe('reset control (0xCF9)', () => {
  it('reboots on RST_CPU (bit 2), hard or soft, as QEMU does', () => {
    for (const value of [0x06, 0x04, 0x0e]) {
      const { write, effects } = platform();
      write(0xcf9, 1, value);
      expect(effects.shutdowns).toEqual(['reboot']);
    }
  });

  it('keeps only SYS_RST (bit 1) otherwise', () => {
    const { write, read, effects } = platform();
    write(0xcf9, 1, 0x02);
    expect(read(0xcf9, 1)).toBe(0x02);
    write(0xcf9, 1, 0x0a);
    expect(read(0xcf9, 1)).toBe(0x02);
    write(0xcf9, 1, 0x00);
    expect(read(0xcf9, 1)).toBe(0x00);
    expect(effects.shutdowns).toEqual([]);
  });

  it('is not touched by a 32-bit write to 0xCF8', () => {
    const { write, read, effects } = platform();
    write(0xcf8, 4, 0x00000600);
    expect(read(0xcf9, 1)).toBe(0x00);
    expect(read(0xcf8, 4)).toBe(0x00000600);
    expect(effects.shutdowns).toEqual([]);
  });
});

describe('the PC device set on one bus', () => {
  it('claims its standard ports without overlap', () => {
    const { bus } = platform();
    const names = (ports: number[]) => ports.map((p) => bus.portOwner(p)?.name);
    expect(names([0x3f8, 0x3ff, 0xf4, 0xcf8, 0xcf9, 0xcfc, 0x600, 0x605])).toEqual([
      'uart16550@0x3f8',
      'uart16550@0x3f8',
      'isa-debug-exit',
      'pci-host',
      'piix3-reset-control',
      'pci-host',
      'piix4-pm',
      'piix4-pm',
    ]);
    expect(names([0x3f7, 0x400, 0xf3, 0xcfa, 0x606, 0x608])).toEqual(Array(6).fill(undefined));
  });

  it('runs a guest-like session: console output, PCI probe, then power-off', () => {
    const { read, write, effects } = platform();
    for (const c of 'ok\n') {
      while (!(read(0x3fd, 1) & 0x20));
      write(0x3f8, 1, c.charCodeAt(0));
    }
    write(0xcf8, 4, 0x80000000);
    const id = read(0xcfc, 4);
    write(0x604, 2, 0x2000);
    expect(String.fromCharCode(...effects.out)).toBe('ok\n');
    expect(id).toBe(0x12378086);
    expect(effects.shutdowns).toEqual(['poweroff']);
  });
});
