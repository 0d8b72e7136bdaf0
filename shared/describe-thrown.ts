/**
 * A thrown value as one readable line for a crash report: an Error's name and message (never
 * its stack), a value with its own toString (the CPU's fault classes), a class instance by its
 * name and fields, anything else as JSON or String(). Whatever escapes the vCPU's loop must
 * still say what happened, not "[object Object]".
 */
export function describeThrown(e: unknown): string {
  if (e instanceof Error) return oneLine(`${e.name}: ${e.message}`);
  if (typeof e === 'string') return oneLine(e);
  if (e === null || typeof e !== 'object') return String(e);
  const own = (e as { toString?: unknown }).toString;
  if (typeof own === 'function' && own !== Object.prototype.toString) {
    const s = String(e);
    if (s !== '[object Object]') return oneLine(s);
  }
  const name = (e as { constructor?: { name?: unknown } }).constructor?.name;
  let fields: string;
  try {
    fields = JSON.stringify(e) ?? '';
  } catch {
    fields = '';
  }
  const label = typeof name === 'string' && name !== '' && name !== 'Object' ? name : 'object';
  return oneLine(fields && fields !== '{}' ? `${label} ${fields}` : `${label} thrown`);
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').slice(0, 500);
}
