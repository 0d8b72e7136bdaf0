/**
 * The x87 constants (FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ: D9 E8–EE). The
 * processor holds them with more than 64 bits and rounds them by the rounding control without
 * raising PE (SDM Vol. 1 §8.3.8); here they are computed to 256 bits and rounded the same way.
 */
import { EXTENDED, F80, packExtended, roundPack, RoundInfo, ONE, ZERO, type Rc } from './float80.js';
import { divF, ln10F, ln2F, one, piF } from './fixed-point.js';

const P = 256;

function rounded(value: bigint): (rc: Rc) => F80 {
  const byMode: F80[] = [];
  for (let rc = 0; rc < 4; rc++) {
    byMode.push(packExtended(roundPack(0, value, -P, true, EXTENDED, rc as Rc, 0x3f, new RoundInfo(), true)));
  }
  return (rc) => byMode[rc]!;
}

const ln2 = ln2F(P);
const ln10 = ln10F(P);

/** Indexed by ModRM.rm of D9 E8+rm; each takes the rounding control. */
export const CONSTANTS: ((rc: Rc) => F80)[] = [
  () => ONE,
  rounded(divF(ln10, ln2, P)), // log2 10
  rounded(divF(one(P), ln2, P)), // log2 e
  rounded(piF(P)),
  rounded(divF(ln2, ln10, P)), // log10 2
  rounded(ln2),
  () => ZERO,
];
