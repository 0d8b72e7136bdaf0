/**
 * The i8042 keyboard controller (data 0x60, status/command 0x64) with a PS/2 keyboard and a PS/2
 * mouse on its aux port, IRQ 1 and IRQ 12, as QEMU's pckbd.c behaves. Checked against
 * qemu-system-i386 7.2 by a probe guest: status 0x1C after the self test (SYS set by 0xAA, the
 * command/data bit 0x08 and the unlocked bit 0x10 always set, IBF never), AUX OBF 0x20 with
 * mouse and D3 bytes, command byte read and write, A9/AB → 00, AA → 55, C0 → 80, D0 → the
 * output port, D2/D3 echoed as keyboard/aux bytes even while the keyboard is disabled, an
 * unknown command ignored, a data read with nothing new returning the last byte again.
 *
 * The output buffer is a view of what is waiting, in QEMU's priority order: a controller reply
 * (one byte, a newer one replaces it), then the keyboard's queue, then the mouse's; a device
 * disabled in the command byte (bits 4, 5) is skipped. The byte itself is taken from its source
 * when the guest reads port 0x60, and the next source is loaded at once — the other device
 * first when both have bytes waiting (QEMU lowers the line of the device just read before it
 * looks again, so keyboard and mouse bytes alternate). IRQ 1 is high while the
 * output buffer holds a keyboard byte and the command byte enables it (bit 0, keyboard not
 * disabled); IRQ 12 while it holds an aux byte and bit 1 is set.
 *
 * Pulsing output-port bit 0 (0xFE, or any 0xF0–0xFF with bit 0 clear) resets the machine, which
 * under Xen is a reboot of the domain.
 */
import type { Device, DeviceResources } from '../../shared/io-bus.js';
import type { RaiseIrq, RequestShutdown } from './device-effects.js';
import { Ps2Keyboard } from './ps2-keyboard.js';
import { Ps2Mouse } from './ps2-mouse.js';

export const I8042_DATA_PORT = 0x60;
export const I8042_COMMAND_PORT = 0x64;
export const I8042_KBD_IRQ = 1;
export const I8042_AUX_IRQ = 12;

export const STAT_OBF = 0x01;
export const STAT_IBF = 0x02;
export const STAT_SYS = 0x04;
export const STAT_CMD = 0x08;
export const STAT_UNLOCKED = 0x10;
export const STAT_AUX_OBF = 0x20;

export const MODE_KBD_INT = 0x01;
export const MODE_AUX_INT = 0x02;
export const MODE_SYS = 0x04;
export const MODE_DISABLE_KBD = 0x10;
export const MODE_DISABLE_AUX = 0x20;
export const MODE_TRANSLATE = 0x40;

const CCMD_READ_MODE = 0x20;
const CCMD_WRITE_MODE = 0x60;
const CCMD_AUX_DISABLE = 0xa7;
const CCMD_AUX_ENABLE = 0xa8;
const CCMD_TEST_AUX = 0xa9;
const CCMD_SELF_TEST = 0xaa;
const CCMD_KBD_TEST = 0xab;
const CCMD_KBD_DISABLE = 0xad;
const CCMD_KBD_ENABLE = 0xae;
const CCMD_READ_INPORT = 0xc0;
const CCMD_READ_OUTPORT = 0xd0;
const CCMD_WRITE_OUTPORT = 0xd1;
const CCMD_WRITE_OBUF = 0xd2;
const CCMD_WRITE_AUX_OBUF = 0xd3;
const CCMD_WRITE_AUX = 0xd4;
const CCMD_DISABLE_A20 = 0xdd;
const CCMD_ENABLE_A20 = 0xdf;
const CCMD_PULSE = 0xf0;

const OUT_RESET = 0x01;
const OUT_A20 = 0x02;
const OUT_OBF = 0x10;
const OUT_AUX_OBF = 0x20;
const OUT_ONES = 0xcc;

/** Where the byte in the output buffer comes from. */
const enum Source {
  NONE,
  CTRL,
  KBD,
  AUX,
}

/**
 * The latency probe: told when an event's first byte becomes the byte in the output buffer (its
 * IRQ goes up) and when the guest takes such a byte. `stamp` is the event's injection time.
 */
export interface InputLatencyProbe {
  loaded(irq: number, stamp: number): void;
  taken(irq: number, stamp: number): void;
}

export interface I8042Options {
  raiseIrq: RaiseIrq;
  /** The reset pulse. */
  shutdown: RequestShutdown;
  latency?: InputLatencyProbe;
}

export class I8042 implements Device {
  readonly name = 'i8042';
  // Byte registers taken at any width: a wider access reads one byte, the rest zero (the bus masks).
  readonly resources: DeviceResources = {
    ports: [
      { base: I8042_DATA_PORT, length: 1, read: () => this.readData(), write: (_o, _s, v) => this.writeData(v & 0xff) },
      { base: I8042_COMMAND_PORT, length: 1, read: () => this.statusBits, write: (_o, _s, v) => this.writeCommand(v & 0xff) },
    ],
    irqs: [I8042_KBD_IRQ, I8042_AUX_IRQ],
  };
  readonly keyboard: Ps2Keyboard;
  readonly mouse: Ps2Mouse;
  /** The command byte ("mode" in QEMU). */
  mode = MODE_KBD_INT | MODE_AUX_INT;
  private statusBits = STAT_CMD | STAT_UNLOCKED;
  private outport = OUT_RESET | OUT_A20 | OUT_ONES;
  private writeCmd = 0;
  /** A controller reply waiting (QEMU's cbdata), and whether it is an aux byte (D3). */
  private ctrlPending = false;
  private ctrlAux = false;
  private ctrlData = 0;
  private source = Source.NONE;
  private lastRead = 0;
  private kbdLevel = false;
  private auxLevel = false;

  constructor(private readonly options: I8042Options) {
    const changed = (): void => this.update();
    this.keyboard = new Ps2Keyboard(changed);
    this.mouse = new Ps2Mouse(changed);
    this.keyboard.translate = (this.mode & MODE_TRANSLATE) !== 0;
  }

  get status(): number {
    return this.statusBits;
  }

  private readData(): number {
    if (!(this.statusBits & STAT_OBF)) return this.lastRead;
    const source = this.source;
    this.source = Source.NONE;
    this.statusBits &= ~(STAT_OBF | STAT_AUX_OBF);
    this.outport &= ~(OUT_OBF | OUT_AUX_OBF);
    let stamp = 0;
    if (source === Source.CTRL) {
      this.ctrlPending = false;
      this.lastRead = this.ctrlData;
    } else {
      const taken = (source === Source.KBD ? this.keyboard : this.mouse).queue.take();
      this.lastRead = taken.byte;
      stamp = taken.stamp;
    }
    if (stamp !== 0) this.options.latency?.taken(source === Source.KBD ? I8042_KBD_IRQ : I8042_AUX_IRQ, stamp);
    // The lines drop with OBF; the next byte (if any) raises its line again at once.
    this.setLines();
    this.update(source);
    return this.lastRead;
  }

  private writeCommand(v: number): void {
    if ((v & CCMD_PULSE) === CCMD_PULSE) {
      if (!(v & 1)) this.options.shutdown('reboot');
      return;
    }
    switch (v) {
      case CCMD_READ_MODE:
        this.reply(this.mode, false);
        return;
      case CCMD_WRITE_MODE:
      case CCMD_WRITE_OBUF:
      case CCMD_WRITE_AUX_OBUF:
      case CCMD_WRITE_AUX:
      case CCMD_WRITE_OUTPORT:
        this.writeCmd = v;
        return;
      case CCMD_AUX_DISABLE:
        this.mode |= MODE_DISABLE_AUX;
        this.setLines();
        return;
      case CCMD_AUX_ENABLE:
        this.mode &= ~MODE_DISABLE_AUX;
        this.update();
        return;
      case CCMD_TEST_AUX:
      case CCMD_KBD_TEST:
        this.reply(0x00, false);
        return;
      case CCMD_SELF_TEST:
        this.statusBits |= STAT_SYS;
        this.reply(0x55, false);
        return;
      case CCMD_KBD_DISABLE:
        this.mode |= MODE_DISABLE_KBD;
        this.setLines();
        return;
      case CCMD_KBD_ENABLE:
        this.mode &= ~MODE_DISABLE_KBD;
        this.update();
        return;
      case CCMD_READ_INPORT:
        this.reply(0x80, false);
        return;
      case CCMD_READ_OUTPORT:
        this.reply(this.outport, false);
        return;
      case CCMD_ENABLE_A20:
        this.outport |= OUT_A20;
        return;
      case CCMD_DISABLE_A20:
        this.outport &= ~OUT_A20;
        return;
      default:
        return; // QEMU logs an unsupported command and does nothing
    }
  }

  private writeData(v: number): void {
    const cmd = this.writeCmd;
    this.writeCmd = 0;
    switch (cmd) {
      case 0:
        // Data to the keyboard; sending it re-enables the keyboard interface, as in QEMU.
        this.mode &= ~MODE_DISABLE_KBD;
        this.keyboard.write(v);
        return;
      case CCMD_WRITE_MODE:
        this.mode = v;
        this.keyboard.translate = (v & MODE_TRANSLATE) !== 0;
        // QEMU re-evaluates the output buffer from scratch here (kbd_update_irq).
        this.source = Source.NONE;
        this.statusBits &= ~(STAT_OBF | STAT_AUX_OBF);
        this.update();
        this.setLines();
        return;
      case CCMD_WRITE_OBUF:
        this.reply(v, false);
        return;
      case CCMD_WRITE_AUX_OBUF:
        this.reply(v, true);
        return;
      case CCMD_WRITE_OUTPORT:
        this.outport = v;
        if (!(v & OUT_RESET)) this.options.shutdown('reboot');
        return;
      case CCMD_WRITE_AUX:
        this.mode &= ~MODE_DISABLE_AUX;
        this.mouse.write(v);
        return;
    }
  }

  /** A controller byte for the output buffer (a newer one replaces one not yet read). */
  private reply(value: number, aux: boolean): void {
    this.ctrlPending = true;
    this.ctrlAux = aux;
    this.ctrlData = value & 0xff;
    if (this.source === Source.CTRL) {
      // Replaced in place: the buffer shows the new byte (and its kind).
      this.load(Source.CTRL);
      return;
    }
    this.update();
  }

  /**
   * If the output buffer is empty, load the highest-priority waiting byte; `justRead` (a device
   * whose byte was just taken) yields to the other device.
   */
  private update(justRead = Source.NONE): void {
    if (!(this.statusBits & STAT_OBF)) {
      const kbd = this.keyboard.queue.count > 0 && !(this.mode & MODE_DISABLE_KBD);
      const aux = this.mouse.queue.count > 0 && !(this.mode & MODE_DISABLE_AUX);
      let next = Source.NONE;
      if (this.ctrlPending) next = Source.CTRL;
      else if (kbd && !(aux && justRead === Source.KBD)) next = Source.KBD;
      else if (aux) next = Source.AUX;
      if (next !== Source.NONE) this.load(next);
    }
    this.setLines();
  }

  private load(source: Source): void {
    this.source = source;
    this.statusBits |= STAT_OBF;
    this.outport |= OUT_OBF;
    const aux = source === Source.AUX || (source === Source.CTRL && this.ctrlAux);
    if (aux) {
      this.statusBits |= STAT_AUX_OBF;
      this.outport |= OUT_AUX_OBF;
    } else {
      this.statusBits &= ~STAT_AUX_OBF;
      this.outport &= ~OUT_AUX_OBF;
    }
    if (source === Source.KBD || source === Source.AUX) {
      const stamp = (source === Source.KBD ? this.keyboard : this.mouse).queue.headStamp();
      if (stamp !== 0) this.options.latency?.loaded(source === Source.KBD ? I8042_KBD_IRQ : I8042_AUX_IRQ, stamp);
    }
  }

  private setLines(): void {
    const obf = (this.statusBits & STAT_OBF) !== 0;
    const aux = (this.statusBits & STAT_AUX_OBF) !== 0;
    const kbd = obf && !aux && (this.mode & MODE_KBD_INT) !== 0 && !(this.mode & MODE_DISABLE_KBD);
    const mouse = obf && aux && (this.mode & MODE_AUX_INT) !== 0;
    if (kbd !== this.kbdLevel) {
      this.kbdLevel = kbd;
      this.options.raiseIrq(I8042_KBD_IRQ, kbd);
    }
    if (mouse !== this.auxLevel) {
      this.auxLevel = mouse;
      this.options.raiseIrq(I8042_AUX_IRQ, mouse);
    }
  }
}
