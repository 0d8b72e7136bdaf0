/**
 * The HTML report opened in headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core): every chart rendered and drew something, the screenshots decoded, and the
 * console stayed free of errors. Skipped, visibly, where Chromium is not installed.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { chartData, renderHtmlReport } from '../bench/report-html.js';
import { DISPLAY_VARYING, results, scenario, summarized, trials, vgaCounters } from './bench-results-fixture.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`report-html.test: SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

const dir = mkdtempSync(path.join(tmpdir(), 'hvmsim-report-html-'));
/** A valid 1x1 PNG. */
const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

function sampleResults() {
  const shot = path.join(dir, 'vga-fill-shared.png');
  writeFileSync(shot, PNG_1X1);
  const modes = [
    { name: 'vga-fill-trap', vga: 'trap', perFrame: 76_800, ratios: [200, 210, 205] },
    { name: 'vga-fill-shared', vga: 'shared', perFrame: 0, ratios: [10, 11, 10.5] },
    { name: 'vga-fill-shared-dirty', vga: 'shared-dirty', perFrame: 2, ratios: [9, 9.5, 9.2] },
  ];
  const scenarios = modes.map((m) => {
    const r = summarized(scenario({ name: m.name, vga: m.vga, frames: 30, screenshot: true, varyingCounters: DISPLAY_VARYING }), trials(vgaCounters(30, m.perFrame), m.ratios));
    return m.vga === 'shared' ? { ...r, screenshot: shot } : r;
  });
  const cpu = summarized(scenario({ name: 'cpu-compute', guest: 'compute', sets: ['cpu'] }), trials({ instructions: 7e8, exit_io: 1002, ioreq_sync: 1002, 'dm.pio': 1002 }, [90, 92, 91]));
  return results([...scenarios, cpu]);
}

describe('HTML report', () => {
  test('chart data: VGA scenarios carry frames and scan points, every scenario has measured and modeled time', () => {
    const d = chartData(sampleResults());
    expect(d.exitsPerFrame.labels).toEqual(['vga-fill-trap', 'vga-fill-shared', 'vga-fill-shared-dirty']);
    expect(d.exitsPerFrame.values[0]).toBeCloseTo(76_800 + 2);
    expect(d.framesPerSecond.values).toHaveLength(3);
    expect(d.measuredVsModeled.labels).toHaveLength(4);
    expect(d.measuredVsModeled.modeled.map((m) => m.profile)).toEqual(['xen-3.0-vtx-2006', 'xen-4-current']);
    expect(d.scanVsDirty.series.map((s) => s.label).sort()).toEqual(['shared-dirty', 'shared/memcmp', 'trap']);
  });

  test('the report is self-contained: Chart.js inline, no external URLs, the screenshot as a data URI', () => {
    const html = renderHtmlReport(sampleResults());
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).toMatch(/<img alt="final frame of vga-fill-shared" src="data:image\/png;base64,/);
    expect(html).toContain('Synthetic CPU');
  });

  test.skipIf(!haveChromium)('headless Chromium: every chart rendered, images decoded, no console errors', async () => {
    const file = path.join(dir, 'index.html');
    writeFileSync(file, renderHtmlReport(sampleResults()));
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector('body[data-charts-rendered]', { timeout: 10_000 });
      const rendered = await page.evaluate(() => {
        const canvases = [...document.querySelectorAll('canvas')];
        // Each canvas must hold a Chart and have drawn pixels (axes, bars, points, legend).
        const inked = canvases.map((c) => {
          const ctx = c.getContext('2d')!;
          const px = ctx.getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 3; i < px.length; i += 4) if (px[i]! > 0) n++;
          return n;
        });
        const charts = canvases.map((c) => (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): unknown } }).Chart.getChart(c) !== undefined);
        const images = [...document.querySelectorAll('img')].map((i) => i.complete && i.naturalWidth > 0);
        return { count: Number(document.body.dataset.chartsRendered), canvases: canvases.length, inked, charts, images };
      });
      expect(rendered.canvases).toBe(4);
      expect(rendered.count).toBe(4);
      expect(rendered.charts).toEqual([true, true, true, true]);
      for (const n of rendered.inked) expect(n).toBeGreaterThan(1000);
      expect(rendered.images).toEqual([true]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
