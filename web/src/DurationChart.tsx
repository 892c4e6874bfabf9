import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import type { RunRecord } from '../../src/shared/types.js';
import { formatDuration } from './format.js';

/** How long each of the last runs took (uPlot: a small canvas chart, no network, no DOM per point). */
export function DurationChart({ runs }: { runs: RunRecord[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const done = runs.filter((r) => r.startedAt !== undefined && r.endedAt !== undefined).sort((a, b) => a.startedAt! - b.startedAt!);
    if (done.length === 0) return;
    const xs = done.map((r) => r.startedAt! / 1000);
    const ys = done.map((r) => (r.endedAt! - r.startedAt!) / 1000);
    const failed = done.map((r) => (r.state === 'succeeded' ? null : (r.endedAt! - r.startedAt!) / 1000));
    const width = Math.max(240, el.clientWidth);
    const plot = new uPlot({
      width,
      height: 160,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true, range: (_u, min, max) => (min === max ? [min - 3600, max + 3600] : [min, max]) }, y: { range: (_u, _min, max) => [0, Math.max(max * 1.1, 0.01)] } },
      axes: [{ stroke: '#8a94a6', grid: { stroke: '#2a3140' } }, { stroke: '#8a94a6', grid: { stroke: '#2a3140' }, values: (_u, vals) => vals.map((v) => formatDuration(v * 1000)), size: 60 }],
      series: [
        {},
        { label: 'duration', stroke: '#4f9dff', width: 1.5, points: { show: true, size: 5, fill: '#4f9dff' } },
        { label: 'failed', stroke: 'transparent', points: { show: true, size: 8, fill: '#ff5c5c', stroke: '#ff5c5c' } },
      ],
    }, [xs, ys, failed], el);
    const onResize = () => plot.setSize({ width: Math.max(240, el.clientWidth), height: 160 });
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      plot.destroy();
    };
  }, [runs]);
  return <div className="chart" ref={box} aria-label="duration of the last runs" />;
}
