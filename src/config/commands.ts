import type { CommandDef } from './types.js';

/** Every command of pgBackRest 2.45 that the CLI accepts, in help order. Texts are our own. */
export const COMMANDS: readonly CommandDef[] = [
  { name: 'annotate', summary: 'Add or change backup annotations.', description: 'Sets or removes key/value annotations stored with a backup.' },
  { name: 'archive-get', params: true, summary: 'Fetch a WAL segment from the archive.', description: 'Called by PostgreSQL as restore_command to copy one WAL segment from the repository.' },
  { name: 'archive-push', params: true, summary: 'Store a WAL segment in the archive.', description: 'Called by PostgreSQL as archive_command to copy one WAL segment into every repository.' },
  { name: 'backup', logFileAlways: true, summary: 'Back up a cluster.', description: 'Takes a full, differential or incremental backup into one repository.' },
  { name: 'check', summary: 'Check the configuration.', description: 'Verifies that archiving works and that the repositories are set up for the stanza.' },
  { name: 'expire', logFileAlways: true, summary: 'Remove backups beyond retention.', description: 'Removes backups and WAL that the retention settings no longer keep.' },
  { name: 'help', params: true, logQuiet: true, summary: 'Show help.', description: 'Shows the commands, the options of a command, or the details of one option.' },
  { name: 'info', logQuiet: true, summary: 'Show backup information.', description: 'Reports the stanzas, their backups and their WAL archive.' },
  { name: 'repo-get', params: true, logQuiet: true, summary: 'Copy a file out of a repository.', description: 'Writes the content of a repository file to stdout.' },
  { name: 'repo-ls', params: true, logQuiet: true, summary: 'List repository files.', description: 'Lists paths and files in a repository.' },
  { name: 'restore', logFileAlways: true, summary: 'Restore a cluster.', description: 'Copies a backup back into the data directory and writes the recovery settings.' },
  { name: 'server', logFileAlways: true, summary: 'Run the TLS server.', description: 'Serves repository and cluster access to remote pgBackRest processes.' },
  { name: 'server-ping', params: true, summary: 'Ping the TLS server.', description: 'Checks that a server answers.' },
  { name: 'stanza-create', logFileAlways: true, summary: 'Create a stanza.', description: 'Writes the initial archive.info and backup.info of a stanza.' },
  { name: 'stanza-delete', logFileAlways: true, summary: 'Delete a stanza.', description: 'Removes all backups and WAL of a stopped stanza.' },
  { name: 'stanza-upgrade', logFileAlways: true, summary: 'Upgrade a stanza.', description: 'Records a new PostgreSQL version or system id after pg_upgrade.' },
  { name: 'start', logFileAlways: true, summary: 'Allow processes to run.', description: 'Removes the stop file written by stop.' },
  { name: 'stop', logFileAlways: true, summary: 'Stop processes from running.', description: 'Writes a stop file that makes new commands fail; with --force running ones are ended.' },
  { name: 'verify', logFileAlways: true, summary: 'Verify the repository.', description: 'Checks the checksums of backup files and archived WAL.' },
  { name: 'version', logQuiet: true, summary: 'Show the version.', description: 'Prints the program name and version.' },
];

let byName: Map<string, CommandDef> | undefined;

export function commandByName(name: string): CommandDef | undefined {
  byName ??= new Map(COMMANDS.map((c) => [c.name, c]));
  return byName.get(name);
}

/** Roles besides the main one; an unknown role is an invalid command. */
export const COMMAND_ROLES: Readonly<Record<string, readonly string[]>> = {
  'archive-get': ['async', 'local', 'remote'],
  'archive-push': ['async', 'local', 'remote'],
  backup: ['local', 'remote'],
  restore: ['local', 'remote'],
  verify: ['local', 'remote'],
};
