// Bundles the two worker entry points (after tsc) into dist/workers/, one file each plus shared
// chunks, so a worker thread starts by loading a few files instead of resolving ~60 modules: the
// device model's and a vCPU's start-up is mostly module loading (measured in the foundation issue's
// note). npm packages stay external; a dynamic import (the PNG encoder) stays a lazily loaded chunk.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  absWorkingDir: root,
  entryPoints: { 'dm-worker': 'dist/device-model/dm-worker.js', 'vcpu-worker': 'dist/hypervisor/vcpu-worker.js' },
  outdir: 'dist/workers',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
