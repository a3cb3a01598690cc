import type { BenchCase, Target } from './cases.js';
import type { ToolName } from './env.js';
import type { Sample } from './measure.js';

export interface ToolResult {
  samples: Sample[];
  error?: string;
}

export interface CaseResult {
  id: string;
  units?: number;
  targets: Target[];
  tools: Record<ToolName, ToolResult>;
}

export interface Summary {
  id: string;
  /** Median seconds, or median units per second for rate cases. */
  ours?: number;
  theirs?: number;
  unit: 's' | '/s';
  ratio?: number;
  /** Peak tree RSS over all runs (MiB), and the main process's own peak. */
  oursMemMb?: number;
  theirsMemMb?: number;
  oursMainMb?: number;
  theirsMainMb?: number;
  memRatio?: number;
  /** Median CPU seconds of a run (see Sample.cpuMs), and ours over theirs. */
  oursCpu?: number;
  theirsCpu?: number;
  cpuRatio?: number;
  /** Median share of a run's wall time the S3 server spent on CPU (1 = one core all the time). */
  oursServerBusy?: number;
  theirsServerBusy?: number;
  verdicts: { target: string; met: boolean | undefined }[];
  note?: string;
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const maxOf = (xs: number[]): number | undefined => (xs.length === 0 ? undefined : Math.max(...xs));
const div = (a?: number, b?: number): number | undefined => (a === undefined || b === undefined || b === 0 ? undefined : a / b);

export function emptyResult(c: BenchCase): CaseResult {
  return { id: c.id, units: c.units, targets: c.targets, tools: { ours: { samples: [] }, theirs: { samples: [] } } };
}

function value(r: CaseResult, t: ToolName): number | undefined {
  const m = median(r.tools[t].samples.map((s) => s.wallMs / 1000));
  if (r.units === undefined || m === undefined) return m;
  return r.units / m;
}

export function summarise(r: CaseResult): Summary {
  const ours = value(r, 'ours');
  const theirs = value(r, 'theirs');
  const mem = (t: ToolName, k: 'treeRssKb' | 'mainRssKb') => {
    const kb = maxOf(r.tools[t].samples.map((s) => s[k]));
    return kb === undefined ? undefined : kb / 1024;
  };
  const s: Summary = {
    id: r.id,
    ours,
    theirs,
    unit: r.units === undefined ? 's' : '/s',
    ratio: div(ours, theirs),
    oursMemMb: mem('ours', 'treeRssKb'),
    theirsMemMb: mem('theirs', 'treeRssKb'),
    oursMainMb: mem('ours', 'mainRssKb'),
    theirsMainMb: mem('theirs', 'mainRssKb'),
    verdicts: [],
  };
  s.memRatio = div(s.oursMemMb, s.theirsMemMb);
  const cpu = (t: ToolName) => median(r.tools[t].samples.flatMap((x) => (x.cpuMs === undefined ? [] : [x.cpuMs / 1000])));
  s.oursCpu = cpu('ours');
  s.theirsCpu = cpu('theirs');
  s.cpuRatio = div(s.oursCpu, s.theirsCpu);
  const busy = (t: ToolName) => median(r.tools[t].samples.flatMap((x) => (x.serverCpuMs === undefined ? [] : [x.serverCpuMs / x.wallMs])));
  s.oursServerBusy = busy('ours');
  s.theirsServerBusy = busy('theirs');
  for (const t of r.targets) {
    const got = t.metric === 'memory' ? s.memRatio : s.ratio;
    const label = `${t.metric === 'memory' ? 'mem' : t.metric} ${t.op} ${t.value}`;
    s.verdicts.push({ target: label, met: got === undefined ? undefined : t.op === '<=' ? got <= t.value : got >= t.value });
  }
  const errs = (['ours', 'theirs'] as const).filter((t) => r.tools[t].error !== undefined);
  if (errs.length > 0) s.note = errs.map((t) => `${t}: ${shortError(r.tools[t].error!)}`).join('; ');
  return s;
}

function shortError(e: string): string {
  if (/not (yet )?implemented|FeatureNotSupported/i.test(e)) return 'not implemented';
  return e.length > 160 ? `${e.slice(0, 157)}...` : e;
}

const fmt = (x: number | undefined, digits = 2): string => (x === undefined ? '-' : x.toFixed(digits));
const pct = (x: number | undefined): string => (x === undefined ? '-' : `${Math.round(x * 100)}%`);

/** A Markdown table of every case, with the issue's targets and whether they are met. */
export function renderTable(rows: Summary[]): string {
  const head = [
    'case', 'ours', 'theirs', 'ours/theirs', 'CPU s ours / theirs (ratio)', 's3rver busy ours / theirs',
    'ours MiB tree (main)', 'theirs MiB tree (main)', 'mem ratio', 'targets', 'notes',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const verdicts = r.verdicts.map((v) => `${v.target}: ${v.met === undefined ? 'n/a' : v.met ? 'met' : 'NOT met'}`).join('; ');
    lines.push(
      `| ${[
        r.id,
        r.ours === undefined ? '-' : `${fmt(r.ours)} ${r.unit}`,
        r.theirs === undefined ? '-' : `${fmt(r.theirs)} ${r.unit}`,
        fmt(r.ratio),
        r.oursCpu === undefined && r.theirsCpu === undefined ? '-' : `${fmt(r.oursCpu)} / ${fmt(r.theirsCpu)} (${fmt(r.cpuRatio)})`,
        r.oursServerBusy === undefined && r.theirsServerBusy === undefined ? '-' : `${pct(r.oursServerBusy)} / ${pct(r.theirsServerBusy)}`,
        `${fmt(r.oursMemMb, 0)} (${fmt(r.oursMainMb, 0)})`,
        `${fmt(r.theirsMemMb, 0)} (${fmt(r.theirsMainMb, 0)})`,
        fmt(r.memRatio),
        verdicts || '-',
        r.note ?? '',
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

export const TARGET_TEXT = [
  'Targets (ours/theirs): full and incr backup, posix and S3, process-max=4: time <= 0.8;',
  'restore process-max=4: time <= 0.8; archive-push of one segment: time <= 1.5;',
  'async archive-push sustained rate >= 1.0; peak memory of a full backup <= 3.',
].join('\n');
