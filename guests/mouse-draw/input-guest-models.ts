/**
 * What the input guests (mouse-draw, irq-window) receive and print for an input script, worked
 * out on the host: the bytes each script event becomes on the wire (ps2-mouse.ts's packets,
 * ps2-keyboard.ts's set-1 codes, as the guests turn translation on), and mouse-draw's drawing
 * and its frame CRC-32. Events reach the guest in script order and none is lost (the device
 * model's replay holds events instead of dropping them), so the output depends on the script
 * alone.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KEYS } from '../../device-model/devices/ps2-keyboard.js';
import { encodePacket } from '../../device-model/devices/ps2-mouse.js';
import { parseInputScript } from '../../device-model/input-script.js';
import type { InputEvent } from '../../shared/input-event.js';
import { crc32, hex32 } from '../vga-models/frame-crc32.js';
import { cmdlineUint } from '../vga-models/model-frame.js';

const GUESTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MOUSE_DRAW_DEFAULT_INPUT = path.join(GUESTS_DIR, 'mouse-draw', 'default-input.txt');
export const IRQ_WINDOW_DEFAULT_INPUT = path.join(GUESTS_DIR, 'irq-window', 'default-input.txt');

/** The wire bytes of a script: mouse packets (3 bytes each) and keyboard bytes, each in order. */
export function scriptBytes(events: readonly InputEvent[]): { packets: number[][]; keys: number[] } {
  const packets: number[][] = [];
  const keys: number[] = [];
  let buttons = 0;
  for (const e of events) {
    if (e.kind === 'move') packets.push(encodePacket(e.dx, -e.dy, buttons));
    else if (e.kind === 'button') {
      buttons = e.down ? buttons | e.button : buttons & ~e.button;
      packets.push(encodePacket(0, 0, buttons));
    } else {
      const k = KEYS.get(e.key)!;
      if (e.press) keys.push(...(k.extended ? [0xe0] : []), k.set1);
      if (e.release) keys.push(...(k.extended ? [0xe0] : []), k.set1 | 0x80);
    }
  }
  return { packets, keys };
}

/** The guests' running checksum: sum = sum * 31 + byte, 32 bits. */
function fold(seed: number, bytes: readonly number[]): number {
  let s = seed >>> 0;
  for (const b of bytes) s = (Math.imul(s, 31) + b) >>> 0;
  return s;
}

const WIDTH = 640;
const HEIGHT = 480;
const CURSOR = 4;
const SETUP_LINE = (guest: string) =>
  `${guest}: i8042 self test 0x55, aux test 0x00, mouse reset fa aa 00, ID 0x00, reporting on; keyboard 0xfa\n`;

/** What mouse-draw prints for `script` (its text) and a command line. */
export function mouseDrawSerial(script: string, cmdline = ''): string {
  const { packets, keys } = scriptBytes(parseInputScript(script));
  const wantPackets = cmdlineUint(cmdline, 'packets', 100);
  const wantKeys = cmdlineUint(cmdline, 'keys', 2);
  if (packets.length !== wantPackets || keys.length !== wantKeys) {
    throw new Error(`mouse-draw model: the script gives ${packets.length} packets and ${keys.length} key bytes, the guest waits for ${wantPackets} and ${wantKeys}`);
  }
  const frame = new DataView(new ArrayBuffer(WIDTH * HEIGHT * 4));
  const square = (x: number, y: number, rgb: number) => {
    for (let dy = 0; dy < CURSOR; dy++) for (let dx = 0; dx < CURSOR; dx++) frame.setUint32(((y + dy) * WIDTH + x + dx) * 4, rgb, true);
  };
  const clamp = (v: number, hi: number) => (v < 0 ? 0 : v > hi ? hi : v);
  let x = (WIDTH - CURSOR) / 2;
  let y = (HEIGHT - CURSOR) / 2;
  let buttons = 0;
  let overflows = 0;
  let leftPresses = 0;
  square(x, y, 0xffffff);
  for (const [b0, b1, b2] of packets) {
    const dx = b1! - (b0! & 0x10 ? 256 : 0);
    const dy = b2! - (b0! & 0x20 ? 256 : 0);
    if (b0! & 0xc0) overflows++;
    if (b0! & 1 && !(buttons & 1)) leftPresses++;
    buttons = b0! & 7;
    square(x, y, 0);
    frame.setUint32((y * WIDTH + x) * 4, buttons & 1 ? 0x00ff00 : 0x404040, true);
    x = clamp(x + dx, WIDTH - CURSOR);
    y = clamp(y - dy, HEIGHT - CURSOR);
    square(x, y, 0xffffff);
  }
  return (
    'mouse-draw: std VGA 1234:1111 at 00:02.0, LFB from BAR0, DISPI id 0xb0c5\n' +
    'mouse-draw: mode 640x480x32, linear frame buffer: registers read back as set\n' +
    SETUP_LINE('mouse-draw') +
    `mouse-draw: waiting for ${wantPackets} packets and ${wantKeys} keyboard bytes (IRQ 12 and IRQ 1)\n` +
    `mouse-draw: ${packets.length} packets (${overflows} with overflow, 0 bytes dropped to resynchronise), ${leftPresses} left presses\n` +
    `mouse-draw: cursor at (${x}, ${y}), mouse bytes checksum ${hex32(fold(0x12345678, packets.flat()))}\n` +
    `mouse-draw: ${keys.length} keyboard bytes, checksum ${hex32(fold(0x9abcdef, keys))}; interrupts without data: none\n` +
    `mouse-draw: frame crc32 ${hex32(crc32(new Uint8Array(frame.buffer)))}\n`
  );
}

/** What irq-window prints for `script` and a command line. */
export function irqWindowSerial(script: string, cmdline = ''): string {
  const { packets } = scriptBytes(parseInputScript(script));
  const want = cmdlineUint(cmdline, 'packets', 20);
  const work = cmdlineUint(cmdline, 'work', 200000);
  if (packets.length !== want) throw new Error(`irq-window model: the script gives ${packets.length} packets, the guest waits for ${want}`);
  const bytes = packets.length * 3;
  return (
    SETUP_LINE('irq-window') +
    `irq-window: ${want} packets, each let in after ${work} rounds of work with interrupts off\n` +
    `irq-window: ${bytes} bytes, ${bytes} delivered right after the STI shadow, 0 elsewhere, 0 interrupts without data\n` +
    `irq-window: bytes checksum ${hex32(fold(0x2468ace, packets.flat()))}\n`
  );
}

export const mouseDrawDefaultSerial = (): string => mouseDrawSerial(readFileSync(MOUSE_DRAW_DEFAULT_INPUT, 'utf8'));
export const irqWindowDefaultSerial = (): string => irqWindowSerial(readFileSync(IRQ_WINDOW_DEFAULT_INPUT, 'utf8'));
