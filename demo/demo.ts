/**
 * `npm run demo`: a newcomer's first ten minutes in one command. With nothing configured it starts
 * a throwaway PostgreSQL and a local S3 server, writes a pgbackrest.conf like the user guide's,
 * then runs stanza-create, check, a full backup, writes, an incremental backup, info, and a
 * point-in-time restore into a new directory, starts the restored cluster and checks its rows.
 * Exit status 0 only when that check passed. Everything is removed at the end, on failure and on
 * Ctrl-C. Bundled and started by demo/run.mjs.
 */
import { join } from 'node:path';
import { freePort } from '../test/harness/pg.js';
import { ourCli } from '../test/harness/run.js';
import { makeTempDir, removeTempDir } from '../test/harness/tmp.js';
import { cleanup, createWorld, onCleanup, STANZA } from './setup.js';
import { Shell, shellQuote } from './shell.js';
import { archived, loadData, markRow, restoredCheck, startRestored } from './data.js';

export async function main(): Promise<number> {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\ndemo interrupted by ${signal}: cleaning up\n`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await demo();
    return 0;
  } catch (e) {
    if (!stopping) process.stdout.write(`\ndemo failed: ${(e as Error).message}\n`);
    return 1;
  } finally {
    if (!stopping) {
      process.stdout.write('\n== Clean up: stop both clusters and the S3 server, remove every file\n');
      await cleanup();
      process.stdout.write('done\n');
    }
  }
}

async function demo(): Promise<void> {
  const sh = new Shell({ env: {} });
  sh.heading('Start a throwaway PostgreSQL cluster and a local S3 server (HTTPS, self-signed CA)');
  const world = await createWorld();
  const { cluster, conf } = world;
  sh.say(`PostgreSQL ${cluster.version} in ${cluster.pgdata}, port ${cluster.port}`);
  sh.say(`S3 (s3rver) at https://${world.s3.endpoint}:${world.s3.port}, bucket ${world.s3.bucket}`);

  // Commands find the file through PGBACKREST_CONFIG, so they read like the docs' examples.
  const shell = new Shell({ env: { PGBACKREST_CONFIG: conf } });
  const pgbr = pgbackrest(shell);
  shell.heading('The configuration (pgbackrest.conf)');
  shell.say(`Commands run as the postgres OS user, with PGBACKREST_CONFIG=${conf}`);
  await shell.must(`cat ${conf}`, 'cat', [conf]);
  const shown = (await cluster.query<{ archive_command: string }>('SHOW archive_command'))[0]!.archive_command;
  shell.say(`SQL> SHOW archive_command   -- ${shown}`);

  shell.heading('Create the stanza, then check that archiving works');
  await pgbr(['--log-level-console=info', 'stanza-create']);
  await pgbr(['--log-level-console=info', 'check']);

  shell.heading('Full backup');
  await pgbr(['--log-level-console=info', '--type=full', 'backup']);

  shell.heading('Write some data: pgbench tables and a marked row');
  const accounts = await loadData(shell, cluster);
  await markRow(shell, cluster, 'before-1');

  shell.heading('Incremental backup');
  await pgbr(['--log-level-console=info', '--type=incr', 'backup']);

  shell.heading('Two more marked rows, with the recovery target time between them');
  await markRow(shell, cluster, 'before-2');
  const target = (await cluster.query<{ t: string }>("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t"))[0]!.t;
  shell.say(`target time: ${target}`);
  await new Promise((r) => setTimeout(r, 1100));
  await markRow(shell, cluster, 'after-1');
  await archived(shell, cluster);

  shell.heading('What the repository holds');
  await pgbr(['info']);

  shell.heading('Point-in-time restore into a new directory');
  const restoreBase = makeTempDir('pgbr-demo-restore-');
  onCleanup(() => removeTempDir(restoreBase));
  const restored = join(restoreBase, 'data');
  await pgbr([
    '--log-level-console=info', '--type=time', `--target=${target}`, '--target-action=promote',
    '--archive-mode=off', `--pg1-path=${restored}`, 'restore',
  ]);

  shell.heading('Start the restored cluster and compare');
  const port = await freePort();
  const running = await startRestored(shell, cluster, restored, port);
  await restoredCheck(shell, running, { accounts, present: ['before-1', 'before-2'], absent: ['after-1'] });
}

/** `pgbackrest --stanza=demo ...` as the user would type it, run through our CLI. */
function pgbackrest(shell: Shell): (args: string[]) => Promise<void> {
  const cli = ourCli();
  return (args) => {
    const all = [`--stanza=${STANZA}`, ...args];
    return shell.must(`pgbackrest ${all.map(shellQuote).join(' ')}`, cli.cmd, [...cli.args, ...all]);
  };
}
