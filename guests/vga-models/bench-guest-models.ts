/**
 * The two benchmark VGA guests' host models by guest name (vga-idle, vga-busy): what each
 * prints for a multiboot command line and the frame it leaves. Kept apart from the five
 * picture guests of vga-guest-models.ts, which the QEMU screendump test runs in every mode.
 */
import { busyKnobs, busySerial, renderBusy } from './busy-model.js';
import { idleKnobs, idleSerial, renderIdle } from './idle-model.js';
import type { VgaGuestModel } from './vga-guest-models.js';

export const VGA_BENCH_GUEST_NAMES = ['vga-idle', 'vga-busy'] as const;
export type VgaBenchGuestName = (typeof VGA_BENCH_GUEST_NAMES)[number];

export const VGA_BENCH_GUEST_MODELS: Readonly<Record<VgaBenchGuestName, VgaGuestModel>> = {
  'vga-idle': { frame: (c = '') => renderIdle(idleKnobs(c)), serial: (c = '') => idleSerial(idleKnobs(c)) },
  'vga-busy': { frame: (c = '') => renderBusy(busyKnobs(c)), serial: (c = '') => busySerial(busyKnobs(c)) },
};
