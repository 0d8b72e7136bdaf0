/**
 * Condition codes and the carry flag as JavaScript expressions over the flag state a block
 * compilation knows (compile-context.ts FlagsAt). When the last flag-setting instruction is in
 * the same block, `cmp eax, 5; jb x` becomes `(r0 >>> 0) < 5`-style code with no flag record
 * read; when the flags come from outside the block, the generated code asks lazy-flags.ts.
 * The expressions compute exactly what lazy-flags.ts computes from the same record.
 */
import { FlagsAt, type BlockContext, type Expr } from './compile-context.js';
import { LazyOp } from './lazy-flags.js';

/** A flag as a boolean expression, or a constant. */
type FlagExpr = string | boolean;

function mask(sz: number): string {
  return sz === 32 ? '-1' : String((1 << sz) - 1);
}

function u(x: string, sz: number): string {
  return sz === 32 ? `(${x} >>> 0)` : `((${x} & ${mask(sz)}) >>> 0)`;
}

function lazyCF(op: LazyOp, sz: number): FlagExpr {
  switch (op) {
    case LazyOp.ADD:
      return `${u('fr', sz)} < ${u('fa', sz)}`;
    case LazyOp.ADC:
      return `(fc !== 0 ? ${u('fr', sz)} <= ${u('fa', sz)} : ${u('fr', sz)} < ${u('fa', sz)})`;
    case LazyOp.SUB:
      return `${u('fa', sz)} < ${u('fb', sz)}`;
    case LazyOp.SBB:
      return `(fc !== 0 ? ${u('fa', sz)} <= ${u('fb', sz)} : ${u('fa', sz)} < ${u('fb', sz)})`;
    case LazyOp.LOGIC:
      return false;
    default: // INC, DEC, RESULT
      return 'fc !== 0';
  }
}

function lazyOF(op: LazyOp, sz: number): FlagExpr {
  switch (op) {
    case LazyOp.ADD:
    case LazyOp.ADC:
    case LazyOp.INC:
      return `(((fa ^ fr) & (fb ^ fr)) >>> ${sz - 1} & 1) !== 0`;
    case LazyOp.SUB:
    case LazyOp.SBB:
    case LazyOp.DEC:
      return `(((fa ^ fb) & (fa ^ fr)) >>> ${sz - 1} & 1) !== 0`;
    case LazyOp.LOGIC:
      return false;
    default: // RESULT
      return 'fo !== 0';
  }
}

function lazyZF(sz: number): FlagExpr {
  return sz === 32 ? 'fr === 0' : `(fr & ${mask(sz)}) === 0`;
}

function lazySF(sz: number): FlagExpr {
  return sz === 32 ? 'fr < 0' : `(fr & ${1 << (sz - 1)}) !== 0`;
}

const LAZY_PF: FlagExpr = 'PE[fr & 255] !== 0';

const ARITH_BITS = { cf: 'ff & 1', pf: 'ff & 4', zf: 'ff & 64', sf: 'ff & 128', of: 'ff & 2048' } as const;

function bit(e: string): FlagExpr {
  return `(${e}) !== 0`;
}

function not(e: FlagExpr): FlagExpr {
  return typeof e === 'boolean' ? !e : `!(${e})`;
}

function or(a: FlagExpr, b: FlagExpr): FlagExpr {
  if (a === true || b === true) return true;
  if (a === false) return b;
  if (b === false) return a;
  return `(${a} || ${b})`;
}

function ne(a: FlagExpr, b: FlagExpr): FlagExpr {
  if (typeof a === 'boolean' && typeof b === 'boolean') return a !== b;
  if (a === false) return b;
  if (b === false) return a;
  if (a === true) return not(b);
  if (b === true) return not(a);
  return `(${a}) !== (${b})`;
}

/** CMP/SUB followed by a condition: compare the operands directly (as testCondition does). */
function subCondition(cc: number, sz: number): string | undefined {
  const sh = 32 - sz;
  const s = (x: string): string => (sh ? `(${x} << ${sh})` : x);
  const un = (x: string): string => (sh ? `((${x} << ${sh}) >>> 0)` : `(${x} >>> 0)`);
  switch (cc) {
    case 2:
      return `${un('fa')} < ${un('fb')}`;
    case 3:
      return `${un('fa')} >= ${un('fb')}`;
    case 4:
      return `${s('fa')} === ${s('fb')}`;
    case 5:
      return `${s('fa')} !== ${s('fb')}`;
    case 6:
      return `${un('fa')} <= ${un('fb')}`;
    case 7:
      return `${un('fa')} > ${un('fb')}`;
    case 12:
      return `${s('fa')} < ${s('fb')}`;
    case 13:
      return `${s('fa')} >= ${s('fb')}`;
    case 14:
      return `${s('fa')} <= ${s('fb')}`;
    case 15:
      return `${s('fa')} > ${s('fb')}`;
    default:
      return undefined;
  }
}

/** Condition code `cc` (0–15, the low nibble of Jcc/SETcc/CMOVcc) as a boolean expression. */
export function condition(ctx: BlockContext, cc: number): Expr {
  if (ctx.flagsAt === FlagsAt.MEM) return `TC(c, ${cc})`;
  let cf: FlagExpr, pf: FlagExpr, zf: FlagExpr, sf: FlagExpr, of: FlagExpr;
  if (ctx.flagsAt === FlagsAt.ARITH) {
    cf = bit(ARITH_BITS.cf);
    pf = bit(ARITH_BITS.pf);
    zf = bit(ARITH_BITS.zf);
    sf = bit(ARITH_BITS.sf);
    of = bit(ARITH_BITS.of);
  } else {
    const op = ctx.lazyOp;
    const sz = ctx.lazySize;
    if (op === LazyOp.SUB) {
      const direct = subCondition(cc, sz);
      if (direct !== undefined) return `(${direct})`;
    }
    cf = lazyCF(op, sz);
    pf = LAZY_PF;
    zf = lazyZF(sz);
    sf = lazySF(sz);
    of = lazyOF(op, sz);
  }
  let r: FlagExpr;
  switch (cc >> 1) {
    case 0:
      r = of;
      break;
    case 1:
      r = cf;
      break;
    case 2:
      r = zf;
      break;
    case 3:
      r = or(cf, zf);
      break;
    case 4:
      r = sf;
      break;
    case 5:
      r = pf;
      break;
    case 6:
      r = ne(sf, of);
      break;
    default:
      r = or(zf, ne(sf, of));
      break;
  }
  if (cc & 1) r = not(r);
  return typeof r === 'boolean' ? String(r) : `(${r})`;
}

/** The carry flag as 0 or 1 (ADC, SBB, and the CF that INC/DEC preserve). */
export function carry(ctx: BlockContext): Expr {
  if (ctx.flagsAt === FlagsAt.MEM) return 'GCF(c)';
  if (ctx.flagsAt === FlagsAt.ARITH) return '(ff & 1)';
  const op = ctx.lazyOp;
  if (op === LazyOp.INC || op === LazyOp.DEC || op === LazyOp.RESULT) return 'fc';
  const cf = lazyCF(op, ctx.lazySize);
  return typeof cf === 'boolean' ? (cf ? '1' : '0') : `(${cf} ? 1 : 0)`;
}
