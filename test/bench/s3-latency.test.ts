import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3rver, type S3Server } from '../harness/s3.js';

/** Status and wall time of an unsigned GET of the bucket (s3rver answers it without a signature). */
function timedGet(s3: S3Server): Promise<{ status: number; ms: number }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: s3.endpoint, port: s3.port, path: `/${s3.bucket}?list-type=2`, ca: readFileSync(s3.caFile!), agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - start }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

// The bench's `-lat20ms` cases rely on the harness s3rver delaying every request while asked to.
describe('harness s3rver latency', () => {
  let s3: S3Server;
  beforeAll(async () => {
    s3 = await startS3rver('pgbr-latency');
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('delays every request by the latency in force, and no longer once it is set back to 0', async () => {
    await s3.setLatency!(400);
    const slow = await Promise.all([timedGet(s3), timedGet(s3)]);
    for (const r of slow) {
      expect(r.status).toBe(200);
      // a timer may fire a millisecond early by performance.now's clock
      expect(r.ms).toBeGreaterThanOrEqual(399);
    }
    await s3.setLatency!(0);
    const plain: number[] = [];
    for (let i = 0; i < 5; i++) plain.push((await timedGet(s3)).ms);
    // at least one of five plain requests comes back well within the latency the others had
    expect(Math.min(...plain)).toBeLessThan(400);
  });

  it('refuses a latency that is not a whole number of milliseconds', async () => {
    await expect(s3.setLatency!(-1)).rejects.toThrow('invalid latency -1');
    await expect(s3.setLatency!(1.5)).rejects.toThrow('invalid latency 1.5');
  });
});
