/**
 * The picture the display keeps: width × height RGBA pixels (bytes R, G, B, A), which sinks read
 * (the PNG screenshot now; VNC or a web viewer later), with a 32-bit view for writing pixels.
 */
export class DisplaySurface {
  width = 0;
  height = 0;
  rgba = new Uint8Array(0);
  /** One word per pixel over `rgba`. */
  pixels = new Uint32Array(0);

  constructor(width: number, height: number) {
    this.resize(width, height);
  }

  /** New size; the contents become opaque black. */
  resize(width: number, height: number): void {
    if (width !== this.width || height !== this.height) {
      this.width = width;
      this.height = height;
      this.rgba = new Uint8Array(width * height * 4);
      this.pixels = new Uint32Array(this.rgba.buffer);
    }
    this.pixels.fill(0xff000000);
  }

  /** A copy of the pixels (for handing to another thread). */
  snapshot(): Uint8Array {
    return this.rgba.slice();
  }
}
