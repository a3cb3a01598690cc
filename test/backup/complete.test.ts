import type { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { completeBackup } from '../../src/backup/complete.js';
import { parseBackupInfo } from '../../src/repo/backup-info.js';
import { backupHistoryManifestPath, backupInfoPath, backupManifestPath } from '../../src/repo/layout.js';
import { parseManifest, renderManifest } from '../../src/repo/manifest.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import type { WriteOptions } from '../../src/storage/storage.js';
import { sample } from '../repo/fixtures.js';
import { readAll } from '../storage/conformance.js';

const STANZA = 'demo';

/** Memory storage that logs each finished write, and can hold back or fail the writes of one path. */
class WatchedStorage extends MemoryStorage {
  readonly finished: string[] = [];
  constructor(private readonly slow?: { path: string; ms?: number; fail?: boolean }) {
    super();
  }
  override async write(path: string, source: Readable | Buffer, opts?: WriteOptions): Promise<void> {
    if (path === this.slow?.path) {
      await new Promise((r) => setTimeout(r, this.slow!.ms ?? 0));
      if (this.slow.fail) throw new Error(`no space left for ${path}`);
    }
    await super.write(path, source, opts);
    this.finished.push(path);
  }
}

function fixture() {
  const manifest = parseManifest(sample('full.backup.manifest'));
  const info = parseBackupInfo(sample('backup.info'));
  info.backups = [];
  const label = manifest.backup.label;
  return { manifest, info, label, history: backupHistoryManifestPath(STANZA, label), file: backupManifestPath(STANZA, label) };
}

describe('completeBackup', () => {
  it('lists the backup only once the manifest, its copy and its history copy are all stored', async () => {
    const f = fixture();
    // the history copy is compressed beside the manifest writes, and here it is also the slowest
    const storage = new WatchedStorage({ path: f.history, ms: 50 });
    const entry = await completeBackup({ storage, stanza: STANZA, manifest: f.manifest, info: f.info });
    const at = (p: string): number => storage.finished.indexOf(p);
    expect(at(f.file)).toBeGreaterThanOrEqual(0);
    expect(at(`${f.file}.copy`)).toBeGreaterThan(at(f.file));
    expect(at(f.history)).toBeGreaterThan(at(`${f.file}.copy`));
    expect(at(backupInfoPath(STANZA))).toBeGreaterThan(at(f.history));
    expect(at(`${backupInfoPath(STANZA)}.copy`)).toBeGreaterThan(at(backupInfoPath(STANZA)));
    // the history copy is the manifest as stored, gzipped
    const text = renderManifest(f.manifest);
    expect((await readAll(await storage.read(f.file))).toString('utf8')).toBe(text);
    expect(gunzipSync(await readAll(await storage.read(f.history))).toString('utf8')).toBe(text);
    expect(parseBackupInfo(await readAll(await storage.read(backupInfoPath(STANZA)))).backups.map((b) => b.label)).toEqual([entry.label]);
  });

  it('fails without touching backup.info when the history copy cannot be stored', async () => {
    const f = fixture();
    const storage = new WatchedStorage({ path: f.history, ms: 20, fail: true });
    await expect(completeBackup({ storage, stanza: STANZA, manifest: f.manifest, info: f.info })).rejects.toThrow(/no space left/);
    expect(await storage.fileExists(backupInfoPath(STANZA))).toBe(false);
    expect(await storage.fileExists(`${f.file}.copy`)).toBe(true);
  });

  it('fails without touching backup.info when the manifest cannot be stored, after the history write settled', async () => {
    const f = fixture();
    const storage = new WatchedStorage({ path: f.file, fail: true });
    await expect(completeBackup({ storage, stanza: STANZA, manifest: f.manifest, info: f.info })).rejects.toThrow(/no space left/);
    expect(storage.finished).toEqual([f.history]);
    expect(await storage.fileExists(backupInfoPath(STANZA))).toBe(false);
  });
});
