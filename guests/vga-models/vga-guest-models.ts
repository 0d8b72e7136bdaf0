/**
 * The five VGA guests' host models by guest name: the frame each leaves and the serial text it
 * prints for a given multiboot command line (its knobs: frames=, passes=, rows=, steps=).
 */
import { blitKnobs, blitSerial, renderBlit } from './blit-model.js';
import { fillKnobs, fillSerial, renderFill } from './fill-model.js';
import type { ModelFrame } from './model-frame.js';
import { renderRmw, rmwKnobs, rmwSerial } from './rmw-model.js';
import { renderSparse, sparseKnobs, sparseSerial } from './sparse-model.js';
import { renderText, textKnobs, textSerial } from './text-model.js';

export const VGA_GUEST_NAMES = ['vga-fill', 'vga-sparse', 'vga-rmw', 'vga-blit', 'vga-text'] as const;
export type VgaGuestName = (typeof VGA_GUEST_NAMES)[number];

export interface VgaGuestModel {
  frame(cmdline?: string): ModelFrame;
  /** The serial text of a run without hold=1. */
  serial(cmdline?: string): string;
}

function model<K>(knobs: (c: string) => K, render: (k: K) => ModelFrame, serial: (k: K, f: ModelFrame) => string): VgaGuestModel {
  return {
    frame: (c = '') => render(knobs(c)),
    serial: (c = '') => {
      const k = knobs(c);
      return serial(k, render(k));
    },
  };
}

export const VGA_GUEST_MODELS: Readonly<Record<VgaGuestName, VgaGuestModel>> = {
  'vga-fill': model(fillKnobs, renderFill, fillSerial),
  'vga-sparse': model(sparseKnobs, renderSparse, sparseSerial),
  'vga-rmw': model(rmwKnobs, renderRmw, rmwSerial),
  'vga-blit': model(blitKnobs, renderBlit, blitSerial),
  'vga-text': model(textKnobs, renderText, textSerial),
};
