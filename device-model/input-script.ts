/**
 * `--input FILE`: a script of timed pointer and keyboard events, and its replay by the device
 * model on its own timer.
 *
 * The script is text, one event per line; `#` starts a comment, blank lines are skipped:
 *
 *     +12ms move 5 -3          relative move: X right, Y down the screen (−1023..1023 each)
 *     +0 button left down      left|right|middle, down|up
 *     +5ms key a               a press and its release (key a down / key a up for one of them)
 *     +1ms move 1 0 x1000      the same event 1000 times, the interval before each
 *
 * Each line starts with the time since the previous event (`+N` with `us`, `ms` or `s`; a bare
 * `+0` is allowed). Keys are the names in ps2-keyboard.ts's KEYS. A bad line is reported with
 * its number, in one line.
 *
 * Replay (InputInjector, run by the device model's loop as InputReplaySource): the loop asks when
 * the next event is due (its wait's timeout is bounded by it) and injects every due event, raising IRQ 12 or IRQ 1 without waiting
 * for the guest. Nothing is dropped: an event is injected only when its device is ready for it —
 * mouse reporting on, keyboard scanning on, and the guest has taken every byte of the device's
 * previous event — and otherwise waits, with everything after it, until a guest access changes
 * that (the loop polls after every wake-up). One event in flight per device keeps the measured
 * latency (injection to handler entry) free of time spent queued behind earlier events; how far
 * the replay falls behind the script is counted separately (input_delay_ns). QEMU instead drops
 * pointer events while reporting is off or its queue is full; a benchmark that counts events
 * cannot lose any.
 */
import { readFileSync } from 'node:fs';
import { hostNowNs } from '../shared/host-clock.js';
import type { InputEvent } from '../shared/input-event.js';
import { DM_COUNTER_INDEX } from '../shared/run-stats.js';
import type { I8042, InputLatencyProbe } from './devices/i8042.js';
import { KEYS, Ps2Keyboard } from './devices/ps2-keyboard.js';
import { BUTTON_LEFT, BUTTON_MIDDLE, BUTTON_RIGHT } from './devices/ps2-mouse.js';
import type { LoopSource } from './loop-source.js';


export const MAX_MOVE = 1023;
/** Events one script may hold (after repeats): enough for bursts, small enough to pass to a worker. */
export const MAX_INPUT_EVENTS = 1_000_000;
const MAX_REPEAT = 1_000_000;
/** One interval at most (an hour). */
const MAX_INTERVAL_US = 3_600_000_000;

export class InputScriptError extends Error {}

const BUTTONS: Record<string, number> = { left: BUTTON_LEFT, right: BUTTON_RIGHT, middle: BUTTON_MIDDLE };
const UNITS: Record<string, number> = { us: 1, ms: 1000, s: 1_000_000 };

/** Parse a script; `label` names it in errors ("FILE:LINE: ..."). */
export function parseInputScript(text: string, label = 'input'): InputEvent[] {
  const events: InputEvent[] = [];
  let atUs = 0;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/#.*/, '').trim();
    if (line === '') continue;
    const fail = (why: string): never => {
      throw new InputScriptError(`${label}:${n + 1}: ${why}`);
    };
    const words = line.split(/\s+/);
    const time = /^\+(\d+(?:\.\d+)?)(us|ms|s)?$/.exec(words[0]!);
    if (!time) fail(`expected a time such as +5ms first, got ${JSON.stringify(words[0])}`);
    const value = Number(time![1]);
    if (time![2] === undefined && value !== 0) fail(`the time ${words[0]} needs a unit (us, ms or s)`);
    const intervalUs = Math.round(value * UNITS[time![2] ?? 'us']!);
    if (intervalUs > MAX_INTERVAL_US) fail(`the interval ${words[0]} is longer than an hour`);
    let repeat = 1;
    const last = words[words.length - 1]!;
    const rep = /^x(\d+)$/.exec(last);
    if (rep && words.length > 2) {
      repeat = Number(rep[1]);
      if (repeat < 1 || repeat > MAX_REPEAT) fail(`repeat ${last} must be x1..x${MAX_REPEAT}`);
      words.pop();
    }
    const make = parseEvent(words.slice(1), fail);
    if (events.length + repeat > MAX_INPUT_EVENTS) fail(`more than ${MAX_INPUT_EVENTS} events`);
    for (let i = 0; i < repeat; i++) {
      atUs += intervalUs;
      events.push({ ...make, atUs } as InputEvent);
    }
  }
  return events;
}

/** Read and parse a script file; any problem is an InputScriptError naming the file (and line). */
export function readInputScript(path: string): InputEvent[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputScriptError(`${path}: cannot read the input script (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseInputScript(text, path);
}

type EventBody = { kind: 'move'; dx: number; dy: number } | { kind: 'button'; button: number; down: boolean } | { kind: 'key'; key: string; press: boolean; release: boolean };

function parseEvent(words: string[], fail: (why: string) => never): EventBody {
  const [verb, ...args] = words;
  switch (verb) {
    case 'move': {
      if (args.length !== 2) fail('move takes two integers: move DX DY');
      const [dx, dy] = args.map((a) => {
        if (!/^[+-]?\d+$/.test(a)) fail(`move: ${JSON.stringify(a)} is not an integer`);
        const v = Number(a);
        if (Math.abs(v) > MAX_MOVE) fail(`move: ${v} is outside -${MAX_MOVE}..${MAX_MOVE}`);
        return v;
      });
      return { kind: 'move', dx: dx!, dy: dy! };
    }
    case 'button': {
      const button = BUTTONS[args[0] ?? ''];
      if (args.length !== 2 || button === undefined || (args[1] !== 'down' && args[1] !== 'up')) {
        fail('button takes a button and a direction: button left|right|middle down|up');
      }
      return { kind: 'button', button: button!, down: args[1] === 'down' };
    }
    case 'key': {
      const name = (args[0] ?? '').toLowerCase();
      if (!KEYS.has(name)) fail(`key: unknown key ${JSON.stringify(args[0] ?? '')} (known: ${[...KEYS.keys()].join(' ')})`);
      if (args.length > 2 || (args.length === 2 && args[1] !== 'down' && args[1] !== 'up')) fail('key takes a name and optionally down or up');
      const only = args[1];
      return { kind: 'key', key: name, press: only !== 'up', release: only !== 'down' };
    }
    default:
      return fail(`unknown event ${JSON.stringify(verb ?? '')} (move, button, key)`);
  }
}

/** What the injector reports per event (device-model counters). */
export interface InputCounters {
  /** Events injected. */
  events: number;
  /** Sum over events of how long each waited past its time for the device to take it (ns). */
  delayNs: number;
}

/**
 * Replays events into an i8042. `start` is performance.now() (ms) at time 0 of the script; the
 * events' stamps (host ns at injection) ride on the first byte each puts in its queue.
 */
export class InputInjector {
  private next = 0;
  private buttons = 0;
  readonly counters: InputCounters = { events: 0, delayNs: 0 };

  constructor(
    private readonly events: readonly InputEvent[],
    private readonly i8042: I8042,
    private readonly start: number,
    private readonly stampNow: () => number = hostNowNs,
  ) {}

  get done(): boolean {
    return this.next >= this.events.length;
  }

  /** Events not injected yet. */
  get remaining(): number {
    return this.events.length - this.next;
  }

  /**
   * performance.now() at which the next event is due; Infinity when none is left or when the
   * next one waits for the guest to make room (the guest's access wakes the loop anyway).
   */
  nextDue(now: number): number {
    if (this.done) return Infinity;
    const due = this.start + this.events[this.next]!.atUs / 1000;
    if (due <= now && !this.accepts(this.events[this.next]!)) return Infinity;
    return due;
  }

  /** Inject every event due at `now` that its device takes; stop at the first it cannot. */
  poll(now: number): void {
    while (!this.done) {
      const e = this.events[this.next]!;
      const due = this.start + e.atUs / 1000;
      if (due > now || !this.accepts(e)) return;
      this.inject(e);
      this.counters.events++;
      this.counters.delayNs += Math.max(0, Math.round((now - due) * 1e6));
      this.next++;
    }
  }

  private accepts(e: InputEvent): boolean {
    if (e.kind === 'key') {
      const kbd = this.i8042.keyboard;
      const k = KEYS.get(e.key)!;
      const bytes = (e.press ? Ps2Keyboard.bytesFor(k, true) : 0) + (e.release ? Ps2Keyboard.bytesFor(k, false) : 0);
      return kbd.queue.count === 0 && kbd.canAcceptKey(bytes);
    }
    const mouse = this.i8042.mouse;
    return mouse.queue.count === 0 && mouse.canAcceptEvent();
  }

  private inject(e: InputEvent): void {
    const stamp = this.stampNow();
    switch (e.kind) {
      case 'move':
        // Script Y runs down the screen; the wire's Y runs up.
        this.i8042.mouse.event(e.dx, -e.dy, this.buttons, stamp);
        return;
      case 'button':
        this.buttons = e.down ? this.buttons | e.button : this.buttons & ~e.button;
        this.i8042.mouse.event(0, 0, this.buttons, stamp);
        return;
      case 'key': {
        const k = KEYS.get(e.key)!;
        if (e.press) this.i8042.keyboard.keyEvent(k, true, stamp);
        if (e.release) this.i8042.keyboard.keyEvent(k, false, e.press ? 0 : stamp);
        return;
      }
    }
  }
}

/**
 * The replay as a loop source: due when the next event is due and its device can take it (a
 * guest access wakes the loop anyway, which then asks again); the injector's counts go to the
 * device model's counters (input_events, input_delay_ns).
 */
export class InputReplaySource implements LoopSource {
  readonly name = 'input-script';
  readonly ports: readonly number[] = [];

  constructor(
    private readonly injector: InputInjector,
    /** dmCounters (shared/run-stats.ts). */
    private readonly counters: Float64Array,
  ) {}

  nextDeadline(now: number): number {
    return this.injector.nextDue(now);
  }

  poll(now: number): void {
    this.injector.poll(now);
    this.counters[DM_COUNTER_INDEX.input_events] = this.injector.counters.events;
    this.counters[DM_COUNTER_INDEX.input_delay_ns] = this.injector.counters.delayNs;
  }
}

/**
 * The device-model end of the latency measurement: an event's injection time is published in
 * its IRQ's slot of DomainConfig.irqStamps while its first byte waits in the output buffer; the
 * vCPU that injects the vector takes it (hypervisor/vcpu.ts). A byte the guest reads without
 * that (polling with interrupts off) withdraws its stamp, so it cannot be charged to a later
 * interrupt.
 */
export function irqStampPublisher(buffer: SharedArrayBuffer): InputLatencyProbe {
  const slots = new BigInt64Array(buffer);
  return {
    loaded: (irq, stamp) => void Atomics.store(slots, irq, BigInt(stamp)),
    taken: (irq, stamp) => void Atomics.compareExchange(slots, irq, BigInt(stamp), 0n),
  };
}
