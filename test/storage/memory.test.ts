import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/storage/memory.js';
import { readAll, runConformance } from './conformance.js';

runConformance('memory', async () => {
  const driver = new MemoryStorage();
  return {
    driver,
    cleanup: async () => undefined,
    rawNames: async () => (await driver.list('', { recurse: true })).map((i) => i.name),
  };
});

describe('MemoryStorage specifics', () => {
  it('keeps links and follows them on read', async () => {
    const s = new MemoryStorage();
    await s.write('backup/demo/20230101-000000F/backup.manifest', Buffer.from('m'));
    await s.linkCreate('20230101-000000F', 'backup/demo/latest');
    expect(await s.info('backup/demo/latest')).toMatchObject({ type: 'link', linkDestination: '20230101-000000F' });
    expect(await s.info('backup/demo/latest', { followLink: true })).toMatchObject({ type: 'path' });
    expect((await readAll(await s.read('backup/demo/latest/backup.manifest'))).toString()).toBe('m');
  });

  it('copies written buffers so later changes by the caller do not leak in', async () => {
    const s = new MemoryStorage();
    const buf = Buffer.from('abc');
    await s.write('f', buf);
    buf[0] = 0x7a;
    expect((await readAll(await s.read('f'))).toString()).toBe('abc');
  });
});
