/**
 * The VGA DAC (ports 0x3C6–0x3C9): 256 palette entries of red, green and blue, written and read
 * three values at a time through auto-incrementing indexes, as QEMU's std VGA models it:
 * one sub-index shared by reads and writes, values stored as written (6 significant bits unless
 * VBE's 8-bit DAC flag is on), the pixel mask not modelled (0x3C6 reads 0 under QEMU 7.2).
 *
 * Reset state is what SeaBIOS's VGA BIOS leaves after setting text mode 3 at boot (read back
 * from qemu-system-i386 7.2): the 64-entry EGA palette in entries 0–63, the rest black.
 */
export const DAC_PEL_MASK = 0x3c6;
export const DAC_READ_INDEX = 0x3c7; // read: DAC state
export const DAC_WRITE_INDEX = 0x3c8;
export const DAC_DATA = 0x3c9;

/** 6-bit DAC value to 8 bits as QEMU does: shift up and copy bit 0 into the two new low bits. */
export function dac6to8(v: number): number {
  const b = v & 1;
  return ((v & 0x3f) << 2) | (b << 1) | b;
}

export class VgaDac {
  /** 256 × (red, green, blue). */
  readonly palette = new Uint8Array(768);
  /** Bumped on every entry written, so the display can skip rebuilding an unchanged palette. */
  version = 0;
  private readIndex = 0;
  private writeIndex = 0;
  private subIndex = 0;
  /** 0 after a write-index set, 3 after a read-index set (what 0x3C7 reads). */
  private state = 0;
  private readonly pending = new Uint8Array(3);

  constructor() {
    // EGA's 64 colours: bits 2/1/0 add 2/3 of red/green/blue, bits 5/4/3 add 1/3.
    for (let i = 0; i < 64; i++) {
      this.palette[i * 3] = ((i >> 2) & 1) * 0x2a + ((i >> 5) & 1) * 0x15;
      this.palette[i * 3 + 1] = ((i >> 1) & 1) * 0x2a + ((i >> 4) & 1) * 0x15;
      this.palette[i * 3 + 2] = (i & 1) * 0x2a + ((i >> 3) & 1) * 0x15;
    }
  }

  read(port: number): number {
    switch (port) {
      case DAC_READ_INDEX:
        return this.state;
      case DAC_WRITE_INDEX:
        return this.writeIndex;
      case DAC_DATA: {
        const value = this.palette[this.readIndex * 3 + this.subIndex]!;
        if (++this.subIndex === 3) {
          this.subIndex = 0;
          this.readIndex = (this.readIndex + 1) & 0xff;
        }
        return value;
      }
      default:
        return 0; // the pixel mask reads 0 under QEMU
    }
  }

  write(port: number, value: number): void {
    switch (port) {
      case DAC_READ_INDEX:
        this.readIndex = value & 0xff;
        this.subIndex = 0;
        this.state = 3;
        return;
      case DAC_WRITE_INDEX:
        this.writeIndex = value & 0xff;
        this.subIndex = 0;
        this.state = 0;
        return;
      case DAC_DATA:
        this.pending[this.subIndex] = value;
        if (++this.subIndex === 3) {
          this.palette.set(this.pending, this.writeIndex * 3);
          this.subIndex = 0;
          this.writeIndex = (this.writeIndex + 1) & 0xff;
          this.version++;
        }
        return;
      default:
        return; // pixel mask: not modelled
    }
  }
}
