import { join } from 'node:path';
import { PSQL, freePort, type Cluster } from './pg.js';
import { runCmd } from './run.js';

/**
 * Start a restored data directory (made from `source`'s binaries) on a free port with archiving
 * off, wait until recovery has ended, run `fn` with a query function, and stop it again.
 */
export async function withRestoredCluster<T>(
  source: Cluster,
  pgdata: string,
  fn: (query: (sql: string) => Promise<string>) => Promise<T>,
): Promise<T> {
  const port = await freePort();
  const pgCtl = (args: string[]) => runCmd(join(source.binDir, 'pg_ctl'), ['-D', pgdata, ...args], { asPostgres: true, timeoutMs: 90_000 });
  const opts = `-p ${port} -k ${source.socketDir} -c archive_mode=off -c listen_addresses=''`;
  const started = await pgCtl(['-l', `${pgdata}.log`, '-o', opts, '-w', '-t', '90', 'start']);
  if (started.code !== 0) throw new Error(`restored cluster did not start: ${started.stderr}${started.stdout}`);
  try {
    const query = async (sql: string): Promise<string> => {
      const r = await runCmd(PSQL, ['-AtX', '-h', source.socketDir, '-p', String(port), '-U', source.user, '-d', 'postgres', '-c', sql], {
        asPostgres: true,
      });
      if (r.code !== 0) throw new Error(`psql on restored cluster: ${r.stderr}`);
      return r.stdout.trim();
    };
    for (let i = 0; (await query('SELECT pg_is_in_recovery()')) !== 'f'; i++) {
      if (i > 300) throw new Error('restored cluster did not finish recovery');
      await new Promise((r) => setTimeout(r, 100));
    }
    return await fn(query);
  } finally {
    await pgCtl(['-m', 'immediate', '-w', 'stop']);
  }
}
