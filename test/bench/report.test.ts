import { describe, expect, it } from 'vitest';
import { parseTimeReport, processCpuMs, type Sample } from '../../bench/measure.js';
import { renderTable, summarise, type CaseResult } from '../../bench/report.js';

const sample = (wallMs: number, cpuMs?: number, serverCpuMs?: number): Sample => ({ wallMs, mainRssKb: 1024, treeRssKb: 2048, cpuMs, serverCpuMs });

describe('bench CPU accounting', () => {
  it('reads user and system CPU and max RSS from /usr/bin/time', () => {
    expect(parseTimeReport('0.52 0.13 20480\n')).toEqual({ mainRssKb: 20480, cpuMs: 650 });
    // killed by a signal: time's first line says so, the report follows
    expect(parseTimeReport('Command terminated by signal 9\n1.00 0.50 100\n')).toEqual({ mainRssKb: 100, cpuMs: 1500 });
    expect(parseTimeReport('')).toEqual({ mainRssKb: 0, cpuMs: undefined });
  });

  it('reads the CPU a process has used from /proc', () => {
    const before = processCpuMs(process.pid)!;
    // Spin until this process has used 150 ms of CPU by its own count, however busy the machine
    // is (a spin of 150 ms of wall time got 80 ms of CPU while other test files ran).
    const start = process.cpuUsage();
    const spent = (): number => {
      const u = process.cpuUsage(start);
      return (u.user + u.system) / 1000;
    };
    let x = 0;
    while (spent() < 150) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    // /proc counts whole 10 ms clock ticks, so up to two may be cut off
    expect(processCpuMs(process.pid)! - before).toBeGreaterThanOrEqual(130);
    expect(processCpuMs(2 ** 22 + 1)).toBeUndefined();
  });

  it('reports median CPU, its ratio and the S3 server busy share per tool', () => {
    const r: CaseResult = {
      id: 'restore-s3-pm4',
      targets: [{ metric: 'time', op: '<=', value: 0.8 }],
      tools: {
        ours: { samples: [sample(2000, 1500, 1800), sample(1000, 1000, 900), sample(4000, 9000, 3600)] },
        theirs: { samples: [sample(2000, 3000, 900), sample(2000, 2000, 1000), sample(2000, 4000, 800)] },
      },
    };
    const s = summarise(r);
    expect(s.oursCpu).toBe(1.5);
    expect(s.theirsCpu).toBe(3);
    expect(s.cpuRatio).toBe(0.5);
    expect(s.oursServerBusy).toBe(0.9);
    expect(s.theirsServerBusy).toBe(0.45);
    const row = renderTable([s]).split('\n')[2];
    expect(row).toContain('| 1.50 / 3.00 (0.50) | 90% / 45% |');
  });

  it('leaves the CPU and server columns empty where nothing was measured', () => {
    const r: CaseResult = {
      id: 'full-posix-pm4-lz4',
      targets: [],
      tools: { ours: { samples: [sample(1000)] }, theirs: { samples: [sample(2000)] } },
    };
    const s = summarise(r);
    expect(s.oursCpu).toBeUndefined();
    expect(s.oursServerBusy).toBeUndefined();
    expect(renderTable([s]).split('\n')[2]).toContain('| 0.50 | - | - |');
  });
});
