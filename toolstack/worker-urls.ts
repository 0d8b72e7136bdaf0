/**
 * Where the compiled worker entry points are. Workers always run compiled JavaScript from dist/
 * (never a TypeScript loader on the hot path); when this module itself is loaded from source
 * (vitest), the same files are found in the repository's dist/ folder.
 */
const here = new URL('.', import.meta.url);
const fromDist = /\/dist\/toolstack\/$/.test(here.pathname);

/** URL of a compiled module, given its path below dist/ (e.g. 'device-model/dm-worker.js'). */
export function compiledModule(relativePath: string): URL {
  return new URL(fromDist ? `../${relativePath}` : `../dist/${relativePath}`, here);
}

// The bundles tools/bundle-workers.mjs makes of hypervisor/vcpu-worker.ts and device-model/dm-worker.ts.
export const VCPU_WORKER = compiledModule('workers/vcpu-worker.js');
export const DM_WORKER = compiledModule('workers/dm-worker.js');
export const XENSTORED_WORKER = compiledModule('toolstack/xenstore/xenstored-worker.js');
