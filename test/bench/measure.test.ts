import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TreeRss } from '../../bench/measure.js';

/** The same sum the slow way: every process's stat, every time. */
function everyProcess(root: number): number {
  const table = new Map<number, { ppid: number; rssKb: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(name), { ppid: Number(rest[1]), rssKb: Number(rest[21]) * 4 });
    } catch {
      // gone
    }
  }
  const descends = (pid: number): boolean => pid === root || (table.has(pid) && pid !== 1 && descends(table.get(pid)!.ppid));
  let sum = 0;
  for (const [pid, st] of table) if (pid !== root && descends(pid)) sum += st.rssKb;
  return sum;
}

describe('TreeRss', () => {
  it('sums the RSS of every descendant, not the root, and follows the tree as it changes', async () => {
    const child = spawn('sh', ['-c', 'sleep 5 & sleep 5 & read x; sleep 5 & read y'], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const tree = new TreeRss(child.pid!);
      const first = tree.poll();
      expect(first).toBeGreaterThan(0);
      expect(first).toBe(everyProcess(child.pid!));
      // a third grandchild appears: the next poll finds it
      child.stdin.write('\n');
      await new Promise((r) => setTimeout(r, 300));
      const second = tree.poll();
      expect(second).toBe(everyProcess(child.pid!));
      expect(second).toBeGreaterThan(first);
    } finally {
      process.kill(-child.pid!, 'SIGKILL'); // the shell's group: its sleeps too
    }
  });
});
