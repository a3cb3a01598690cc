import type { Readable } from 'node:stream';
import type { CommandContext, CommandResult } from '../command.js';
import { err } from '../../error/error.js';
import { decryptStream } from '../../io/cipher.js';
import { writeSync } from 'node:fs';
import { repoTarget } from '../common/repos.js';
import { repoRelativePath } from '../common/repo-path.js';
import { cipherPassForPath } from './cipher-pass.js';

/**
 * `repo-get <file>`: the file's bytes on stdout, decrypted (unless `--raw`) but never decompressed,
 * as pgBackRest does. A missing file is an error, or exit 1 with `--ignore-missing`.
 */
export async function run({ cfg }: CommandContext): Promise<CommandResult> {
  if (cfg.params.length !== 1) throw err('ParamRequiredError', 'source file required');
  const repo = await repoTarget(cfg, cfg.intOpt('repo') ?? 1);
  const repoPath = cfg.strOpt(`repo${repo.idx}-path`) ?? '/var/lib/pgbackrest';
  const file = repoRelativePath(cfg.params[0], repoPath);
  const source = await repo.storage.read(file, { ignoreMissing: cfg.bool('ignore-missing') });
  if (source === null) return { exitCode: 1 };
  let stream: Readable = source;
  if (!cfg.bool('raw') && repo.cipherType !== 'none') {
    const pass = await cipherPassForPath(repo, file, cfg.strOpt('stanza'));
    stream = source.pipe(decryptStream(pass));
    source.on('error', (e) => stream.destroy(e));
  }
  await copyToStdout(stream);
  return {};
}

/** Writes as the data arrives; a closed pipe (`| head`) ends the copy quietly, like pgBackRest. */
async function copyToStdout(stream: Readable): Promise<void> {
  try {
    for await (const chunk of stream) writeBytes(chunk as Buffer);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') return;
    throw e;
  }
}

function writeBytes(data: Buffer): void {
  let buf = data;
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(1, buf));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}
