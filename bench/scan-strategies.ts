/**
 * The scan benchmark's axes as plain data (no device code), so reports can name them: the four
 * ways the display learns which VRAM pages changed, the VGA mode each belongs to, the dirty
 * fractions and the surfaces of issue 4.
 */
export const SCAN_STRATEGY_NAMES = ['memcmp', 'checksum', 'dirty-bitmap', 'device'] as const;
export type ScanStrategyName = (typeof SCAN_STRATEGY_NAMES)[number];

/** Which VGA mode each strategy is. */
export const STRATEGY_MODE: Readonly<Record<ScanStrategyName, string>> = {
  memcmp: 'shared --scan memcmp',
  checksum: 'shared --scan checksum',
  'dirty-bitmap': 'shared-dirty (track_dirty_vram)',
  device: 'trap / buffered (device-tracked)',
};

export const DIRTY_FRACTIONS = [0, 0.01, 0.1, 1] as const;

export interface SurfaceSpec {
  name: string;
  bytes: number;
}

/** Two VESA modes and the 8 MiB of the track_dirty_vram history. */
export const SURFACES: readonly SurfaceSpec[] = [
  { name: '640x480x32', bytes: 640 * 480 * 4 },
  { name: '1024x768x32', bytes: 1024 * 768 * 4 },
  { name: '8 MiB', bytes: 8 << 20 },
];
