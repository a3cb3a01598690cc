import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgbrError } from '../../src/error/error.js';
import { createPool, QueueSet, runJobs, type Pool } from '../../src/parallel/pool.js';
import { prestartWorkers } from '../../src/parallel/worker-client.js';
import { makeTempDir, removeAllTempDirs } from '../harness/tmp.js';
import { buildEntries } from './build.js';
import { sleepRunner, type SleepJob, type SleepResult } from './fixture-jobs.js';

let built: Awaited<ReturnType<typeof buildEntries>>;
beforeAll(async () => {
  built = await buildEntries({ 'fixture-worker': 'test/parallel/fixture-worker.ts', 'fixture-main': 'test/parallel/fixture-main.ts' });
});
afterAll(() => {
  built?.remove();
  removeAllTempDirs();
});

function pool(size: number, depth?: number, threads?: number, threadDepth?: number): Pool<SleepJob, SleepResult> {
  return createPool<SleepJob, SleepResult>({ size, depth, threads, threadDepth, workerModule: built.url('fixture-worker'), local: sleepRunner });
}

/** Largest number of jobs whose [start, end) intervals overlap. */
function maxOverlap(results: SleepResult[]): number {
  const events = results.flatMap((r) => [[r.start, 1], [r.end, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, d] of events) max = Math.max(max, (now += d));
  return max;
}

async function collect(p: Pool<SleepJob, SleepResult>, jobs: SleepJob[]): Promise<Array<SleepResult & { pid: number }>> {
  const out: Array<SleepResult & { pid: number }> = [];
  try {
    await runJobs(p, jobs, (r, job, pid) => {
      expect(r.name).toBe(job.name);
      out.push({ ...r, pid });
    });
  } finally {
    await p.close();
  }
  return out;
}

describe('worker pool', () => {
  it('runs size 1 in this thread, one job at a time', async () => {
    const jobs = [1, 2, 3].map((i) => ({ name: `j${i}`, ms: 20 }));
    const out = await collect(pool(1), jobs);
    expect(out.map((r) => r.name)).toEqual(['j1', 'j2', 'j3']);
    expect(new Set(out.map((r) => r.threadId))).toEqual(new Set([threadId]));
    expect(out.every((r) => r.pid === 1)).toBe(true);
    expect(maxOverlap(out)).toBe(1);
  });

  it('runs at most `size` jobs at once on worker threads numbered 1..size', async () => {
    const jobs = Array.from({ length: 9 }, (_, i) => ({ name: `j${i}`, ms: 60 + (i % 3) * 20 }));
    const out = await collect(pool(3), jobs);
    expect(out.map((r) => r.name).sort()).toEqual(jobs.map((j) => j.name).sort());
    expect(maxOverlap(out)).toBe(3);
    expect(new Set(out.map((r) => r.pid))).toEqual(new Set([1, 2, 3]));
    // each process id is one thread, never the main thread
    const threadOf = new Map<number, number>();
    for (const r of out) {
      expect(r.threadId).not.toBe(threadId);
      expect(threadOf.get(r.pid) ?? r.threadId).toBe(r.threadId);
      threadOf.set(r.pid, r.threadId);
    }
    expect(new Set(threadOf.values()).size).toBe(3);
  });

  it('runs `depth` jobs at once per process when asked, spread over every process', async () => {
    const jobs = Array.from({ length: 12 }, (_, i) => ({ name: `j${i}`, ms: 80 }));
    const out = await collect(pool(2, 2), jobs);
    expect(out.map((r) => r.name).sort()).toEqual(jobs.map((j) => j.name).sort());
    expect(maxOverlap(out)).toBe(4);
    for (const pid of [1, 2]) expect(maxOverlap(out.filter((r) => r.pid === pid)), `process ${pid}`).toBe(2);
    const local = await collect(pool(1, 3), jobs.slice(0, 6));
    expect(maxOverlap(local)).toBe(3);
    expect(new Set(local.map((r) => r.threadId))).toEqual(new Set([threadId]));
  });

  it('runs `size` processes on fewer threads when asked, each process keeping its own slots', async () => {
    const jobs = Array.from({ length: 12 }, (_, i) => ({ name: `j${i}`, ms: 80 }));
    const out = await collect(pool(4, 1, 2), jobs);
    expect(out.map((r) => r.name).sort()).toEqual(jobs.map((j) => j.name).sort());
    // four processes (P01-P04 in logs), four jobs at once, one per process
    expect(new Set(out.map((r) => r.pid))).toEqual(new Set([1, 2, 3, 4]));
    expect(maxOverlap(out)).toBe(4);
    for (const pid of [1, 2, 3, 4]) expect(maxOverlap(out.filter((r) => r.pid === pid)), `process ${pid}`).toBe(1);
    // on two worker threads: processes 1 and 3 share one, 2 and 4 the other
    const threads = (pid: number) => new Set(out.filter((r) => r.pid === pid).map((r) => r.threadId));
    expect(threads(1)).toEqual(threads(3));
    expect(threads(2)).toEqual(threads(4));
    expect(new Set(out.map((r) => r.threadId)).size).toBe(2);
    expect(out.every((r) => r.threadId !== threadId)).toBe(true);
  });

  it('with mainThread runs the last thread\'s processes here and starts one worker thread fewer', async () => {
    const jobs = Array.from({ length: 12 }, (_, i) => ({ name: `j${i}`, ms: 60 }));
    const p = createPool<SleepJob, SleepResult>({
      size: 4, threads: 2, mainThread: true, workerModule: built.url('fixture-worker'), local: sleepRunner,
    });
    const out = await collect(p, jobs);
    expect(out.map((r) => r.name).sort()).toEqual(jobs.map((j) => j.name).sort());
    expect(maxOverlap(out)).toBe(4);
    // processes 2 and 4 in this thread, 1 and 3 on the one worker thread
    const here = out.filter((r) => r.threadId === threadId);
    expect(new Set(here.map((r) => r.pid))).toEqual(new Set([2, 4]));
    expect(here.length).toBeGreaterThan(0);
    const elsewhere = out.filter((r) => r.threadId !== threadId);
    expect(new Set(elsewhere.map((r) => r.pid))).toEqual(new Set([1, 3]));
    expect(new Set(elsewhere.map((r) => r.threadId)).size).toBe(1);
  });

  it('with threadDepth 1 runs one job per thread, so a long job leaves the others to the free thread', async () => {
    const jobs = [{ name: 'long', ms: 400 }, ...Array.from({ length: 10 }, (_, i) => ({ name: `s${i}`, ms: 20 }))];
    const out = await collect(pool(4, 1, 2, 1), jobs);
    expect(out.map((r) => r.name).sort()).toEqual(jobs.map((j) => j.name).sort());
    const byThread = new Map<number, typeof out>();
    for (const r of out) byThread.set(r.threadId, [...(byThread.get(r.threadId) ?? []), r]);
    expect(byThread.size).toBe(2);
    for (const [t, rs] of byThread) expect(maxOverlap(rs), `thread ${t}`).toBe(1);
    // every short job ran on the other thread, while the long one had its thread to itself
    const long = out.find((r) => r.name === 'long')!;
    expect(out.filter((r) => r.threadId === long.threadId).map((r) => r.name)).toEqual(['long']);
    // labels still take turns among the processes of a thread (P02 and P04 on the second)
    const pids = (t: number) => new Set(byThread.get(t)!.map((r) => r.pid));
    const other = [...byThread.keys()].find((t) => t !== long.threadId)!;
    expect(pids(other)).toEqual(new Set([2, 4]));
    expect(long.pid).toBe(1);
  });

  it('starts no job before its ready time, and a job passed over goes first once ready', async () => {
    const t0 = Date.now();
    const jobs = [{ name: 'late', ms: 10 }, ...Array.from({ length: 6 }, (_, i) => ({ name: `s${i}`, ms: 60 }))];
    const readyAt = new Map([['late', t0 + 150]]);
    const out: Array<SleepResult & { at: number }> = [];
    const p = pool(1);
    try {
      await runJobs(p, jobs, (r) => void out.push({ ...r, at: Date.now() }), (j) => readyAt.get(j.name) ?? 0);
    } finally {
      await p.close();
    }
    expect(out.map((r) => r.name).sort()).toEqual(jobs.map((j) => j.name).sort());
    const late = out.find((r) => r.name === 'late')!;
    expect(late.start).toBeGreaterThanOrEqual(t0 + 150);
    // the first job did not hold the others back
    expect(out[0]!.name).toBe('s0');
    // and once ready it went before every job not yet started (20 ms: taken a little before started)
    for (const r of out) if (r.name !== 'late' && r.start >= t0 + 170) expect(r.start, r.name).toBeGreaterThanOrEqual(late.start);
    expect(out.at(-1)!.name).not.toBe('late');
  });

  it('gives out held jobs no earlier than their ready time and each group in order, however many are held', async () => {
    const t0 = Date.now();
    // two jobs in three are held, in two groups of 10,000
    const jobs = Array.from({ length: 30_000 }, (_, i) => ({ name: `j${i}`, ms: 0 }));
    const at = (i: number): number => (i % 3 === 0 ? t0 + 100 : i % 3 === 1 ? t0 + 50 : 0);
    const ran: Array<{ i: number; start: number }> = [];
    const instant = async (job: SleepJob): Promise<SleepResult> => ({ name: job.name, threadId, start: Date.now(), end: Date.now() });
    const p = createPool<SleepJob, SleepResult>({ size: 1, local: async () => ({ run: instant, close: async () => undefined }) });
    try {
      await runJobs(p, jobs, (r) => void ran.push({ i: Number(r.name.slice(1)), start: r.start }), (j) => at(Number(j.name.slice(1))));
    } finally {
      await p.close();
    }
    expect(ran).toHaveLength(jobs.length);
    for (const r of ran) if (r.start < at(r.i)) expect.fail(`j${r.i} started ${at(r.i) - r.start} ms early`);
    for (const group of [0, 1, 2]) {
      const seen = ran.filter((r) => r.i % 3 === group).map((r) => r.i);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
    }
  });

  it('with queues, one process works through each queue in turn whatever the sizes', async () => {
    // given largest first across queues, as runFileJobs sorts them: b0 (queue 2) is the largest
    const jobs = [
      { name: 'b0', ms: 0, q: 2 },
      { name: 'a0', ms: 0, q: 0 },
      { name: 'a1', ms: 0, q: 0 },
      { name: 'b1', ms: 0, q: 2 },
    ];
    const ran: string[] = [];
    const p = pool(1);
    try {
      await runJobs(p, jobs, (r) => void ran.push(r.name), undefined, { count: 3, of: (j) => jobs.find((x) => x.name === j.name)!.q });
    } finally {
      await p.close();
    }
    expect(ran).toEqual(['a0', 'a1', 'b0', 'b1']);
  });

  it("with queues, each process starts at its own queue and moves up when even, down when odd (pgBackRest's order)", () => {
    const names = ['a0', 'a1', 'a2', 'b0', 'c0', 'c1'];
    const set = new QueueSet(names, undefined, { count: 3, of: (n) => 'abc'.indexOf(n[0]!) });
    const take = (client: number): string | undefined => {
      const t = set.take(0, client);
      return t === undefined ? undefined : 'job' in t ? t.job : `wait ${t.wait}`;
    };
    // process 1 (client 0) starts at queue 0, process 2 (client 1) at queue 1, process 3 at queue 2
    expect([take(0), take(1), take(2)]).toEqual(['a0', 'b0', 'c0']);
    // queue 1 is empty: client 1 moves down to queue 0, client 4 (queue 1) up to queue 2
    expect(take(1)).toBe('a1');
    expect(take(4)).toBe('c1');
    // client 2: queue 2 is empty, wrapping up to queue 0
    expect(take(2)).toBe('a2');
    expect(set.empty).toBe(true);
    expect(take(0)).toBeUndefined();
    // a queue number outside the count is a bug of the caller
    expect(() => new QueueSet(['x'], undefined, { count: 1, of: () => 1 })).toThrow('job queue 1 is not in 0..0');
  });

  it('with queues, a process waits for the soonest held job of any queue', () => {
    const set = new QueueSet(['a0', 'b0'], (n) => (n === 'a0' ? 1000 : 500), { count: 2, of: (n) => (n[0] === 'a' ? 0 : 1) });
    expect(set.take(100, 0)).toEqual({ wait: 400 });
    expect(set.take(600, 0)).toEqual({ job: 'b0' });
    expect(set.take(600, 1)).toEqual({ wait: 400 });
    expect(set.take(1000, 1)).toEqual({ job: 'a0' });
  });

  it("moves a result's memory out of a worker instead of copying it, when the runner names it", async () => {
    const p = pool(2);
    try {
      const first = await p.run(1, { name: 'a', ms: 1, bytes: 1 << 20 });
      expect(first.data?.length).toBe(1 << 20);
      expect(first.data?.every((b) => b === 97)).toBe(true);
      const second = await p.run(1, { name: 'b', ms: 1, bytes: 10 });
      expect(Buffer.from(second.data!).toString()).toBe('b'.repeat(10));
      // The worker no longer has the first result's memory: it was moved, not cloned.
      expect(second.previousMoved).toBe(true);
    } finally {
      await p.close();
    }
  });

  it('stops handing out jobs after the first error, lets running jobs settle, rejects with it', async () => {
    const log = join(makeTempDir('pgbr-pool-'), 'log');
    const jobs: SleepJob[] = [
      { name: 'a', ms: 30, outcome: 'fail', log },
      { name: 'b', ms: 250, log },
      { name: 'c', ms: 10, log },
      { name: 'd', ms: 10, log },
    ];
    const p = pool(2);
    const reported: string[] = [];
    const t0 = Date.now();
    const run = runJobs(p, jobs, (r) => void reported.push(r.name));
    const error = await run.catch((e: unknown) => e);
    const elapsed = Date.now() - t0;
    await p.close();
    expect(error).toBeInstanceOf(PgbrError);
    expect(error).toMatchObject({ type: 'FileReadError', message: 'job a failed', hints: ['a hint'] });
    // a and b ran side by side (their start order is the threads'); c and d never started
    expect(readFileSync(log, 'utf8').split('\n').filter(Boolean).sort()).toEqual(['start a', 'start b']);
    expect(elapsed).toBeGreaterThanOrEqual(240); // waited for b
    expect(reported).toEqual([]);
  });

  it('uses threads started before the pool with the same module and data, and only those', async () => {
    const ids = prestartWorkers(built.url('fixture-worker'), undefined, 2);
    const other = prestartWorkers(built.url('fixture-worker'), { other: true }, 1);
    const jobs = Array.from({ length: 6 }, (_, i) => ({ name: `j${i}`, ms: 30 }));
    const out = await collect(pool(2), jobs);
    expect(new Set(out.map((r) => r.threadId))).toEqual(new Set(ids));
    expect(out.some((r) => other.includes(r.threadId))).toBe(false);
    // taken once: the next pool starts threads of its own
    const again = await collect(pool(2), jobs);
    expect(again.some((r) => ids.includes(r.threadId) || other.includes(r.threadId))).toBe(false);
  });

  it('fails the job of a crashed worker and starts a new thread for the next one', async () => {
    const p = pool(2);
    try {
      await expect(p.run(1, { name: 'x', ms: 5, outcome: 'crash' })).rejects.toThrow('job x crashed');
      await expect(p.run(1, { name: 'y', ms: 5 })).resolves.toMatchObject({ name: 'y' });
    } finally {
      await p.close();
    }
  });

  it('fails the job of a thread that exits, naming the thread, which serves processes 2 and 4 of 4', async () => {
    const p = pool(4, undefined, 2);
    try {
      await expect(p.run(4, { name: 'x', ms: 5, outcome: 'exit' })).rejects.toThrow('worker thread 2 exited unexpectedly with code 3');
      await expect(p.run(2, { name: 'y', ms: 5 })).resolves.toMatchObject({ name: 'y' });
    } finally {
      await p.close();
    }
  });

  for (const [label, jobs, status, last, prestart] of [
    ['succeeds', [{ name: 'a', ms: 50 }, { name: 'b', ms: 10 }, { name: 'c', ms: 10 }], 0, 'done', []],
    ['fails', [{ name: 'a', ms: 50 }, { name: 'b', ms: 10, outcome: 'fail' }, { name: 'c', ms: 10 }], 3, 'error job b failed', []],
    ['started threads it never took', [], 0, 'done', ['2']],
    ['took one of the threads started before it', [{ name: 'a', ms: 10 }], 0, 'done', ['3']],
  ] as const) {
    it(`lets the process exit on its own when a run ${label}`, () => {
      const main = fileURLToPath(built.url('fixture-main'));
      const r = spawnSync(process.execPath, [main, fileURLToPath(built.url('fixture-worker')), '2', JSON.stringify(jobs), ...prestart], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(r.error).toBeUndefined(); // no timeout: no worker kept the process alive
      expect(r.stderr).toBe('');
      expect(r.status).toBe(status);
      expect(r.stdout.trim().split('\n').at(-1)).toBe(last);
    });
  }
});
