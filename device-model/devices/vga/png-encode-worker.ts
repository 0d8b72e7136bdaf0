/** The piscina worker behind PngEncoderPool: one PNG per task. */
import { encodePng, type PngTask } from './png-encode.js';

export default function encode(task: PngTask): Uint8Array {
  return encodePng(task);
}
