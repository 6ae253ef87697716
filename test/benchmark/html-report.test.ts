/** The HTML page: self-contained (nothing fetched, nothing run), one bar per measured backend, the rooflines as lines, the data inside. */
import { describe, expect, it } from 'vitest';
import { benchmarkHtml } from '../../ts/benchmark/html-report.js';
import { fixtureReport } from './report-fixture.js';

describe('benchmarkHtml', () => {
  const html = benchmarkHtml(fixtureReport());

  it('references nothing outside itself and runs no script', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    for (const external of ['http:', 'https:', '//', 'src=', 'href=', '<link', '@import', 'url('])
      expect(html).not.toContain(external);
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    expect(scripts).toEqual(['<script type="application/json" id="wfmirror-bench-data">']);
  });

  it('draws an inline SVG with one bar per measured backend, the baseline apart, and one line per roofline', () => {
    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
    expect(svg.length).toBeGreaterThan(0);
    const bars = [...svg.matchAll(/<rect class="bar" data-backend="([^"]+)"/g)].map((m) => m[1]);
    expect(bars).toEqual(['js', 'wasm-simd', 'piscina', 'webgpu']);
    expect(svg.match(/<rect class="baseline-bar"/g)).toHaveLength(1);
    const roofs = [...svg.matchAll(/<line class="roofline" data-threads="(\d+)"/g)].map((m) => m[1]);
    expect(roofs).toEqual(['1', '2']);
    expect(svg).toContain('roofline, 2 threads: 22.37 GB/s');
  });

  it('draws bar heights and roofline heights on one scale', () => {
    const y = (pattern: RegExp) => Number(html.match(pattern)![1]);
    const height = (backend: string) => Number(html.match(new RegExp(`data-backend="${backend}"[^>]* height="([\\d.]+)"`))![1]);
    // wasm-simd (8 ms) and js (30 ms) read the same bytes: their bars stand 30:8.
    expect(height('wasm-simd') / height('js')).toBeCloseTo(30 / 8, 1);
    // The 2-thread roofline (6 ms) sits above the 1-thread one (10 ms): smaller y.
    expect(y(/data-threads="2"[^>]* y1="([\d.]+)"/)).toBeLessThan(y(/data-threads="1"[^>]* y1="([\d.]+)"/));
  });

  it('escapes text from the machine and carries the report as JSON', () => {
    expect(html).toContain('Test CPU &lt;model&gt;');
    expect(html).toContain('row 3 &lt;bad&gt;');
    const data = html.match(/<script type="application\/json" id="wfmirror-bench-data">([\s\S]*?)<\/script>/)![1]!;
    expect(data).not.toContain('<');
    expect(JSON.parse(data)).toEqual(fixtureReport());
  });

  it('has a table row per measured case and lists the rest with reasons', () => {
    expect(html.match(/<tr class="(roofline|baseline|backend)">/g)).toHaveLength(7);
    expect(html).toContain('<li><strong>gpujs</strong>: not available here: gpu.js is not installed</li>');
  });
});
