/**
 * One event of an input script (`--input FILE`), as the toolstack passes it to the device model.
 * The text format and its parser are in device-model/input-script.ts; this is only the data.
 * `atUs` is the time since the start of the replay, in microseconds.
 */
export type InputEvent =
  | { readonly atUs: number; readonly kind: 'move'; readonly dx: number; readonly dy: number }
  | { readonly atUs: number; readonly kind: 'button'; readonly button: number; readonly down: boolean }
  | { readonly atUs: number; readonly kind: 'key'; readonly key: string; readonly press: boolean; readonly release: boolean };
