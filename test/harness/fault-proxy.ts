import { readFileSync } from 'node:fs';
import { request as httpsRequest, createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { makeSelfSignedCert } from './cert.js';

/**
 * A TLS-terminating HTTP proxy in front of an S3 server that injects faults, for reliability tests
 * of the S3 driver against a real endpoint (not a mock: every request that is not faulted reaches
 * the real server unchanged, signature and all).
 *
 * Fault kinds:
 * - `reset`: the connection is reset (RST) as soon as the request head arrives;
 * - `stall`: the request is read but never answered (until the client gives up or the proxy stops);
 * - `500`: `500 InternalError`; `503`: `503 SlowDown` (S3's throttling answer);
 * - `short`: the real response with its real Content-Length, cut off after half of the body;
 * - `corrupt`: the real response with one byte of the body flipped.
 * `short` and `corrupt` apply to responses with a body; on bodiless ones they pass the answer through.
 */
export type FaultKind = 'reset' | 'stall' | '500' | '503' | 'short' | 'corrupt';

export interface FaultRule {
  kind: FaultKind;
  /** Only requests with this method (GET, PUT, HEAD, POST, DELETE). */
  method?: string;
  /** Only requests whose path and query match. */
  path?: RegExp;
  /** Only the n-th request the proxy receives (1-based, counted since the last `reset()`). */
  requestNumber?: number;
  /** How many matching requests to fault; default every one. */
  times?: number;
}

export interface RandomFaults {
  seed: number;
  /** Probability (0..1) that any one request is faulted. */
  rate: number;
  kinds: FaultKind[];
  method?: string;
  path?: RegExp;
}

export interface ProxyLogEntry {
  n: number;
  method: string;
  path: string;
  /** The fault injected, or the upstream status passed through. */
  outcome: FaultKind | number;
}

export interface FaultProxy {
  endpoint: '127.0.0.1';
  port: number;
  /** The proxy's self-signed certificate: the `repo-storage-ca-file` of clients. */
  caFile: string;
  /** Requests seen since the last `reset()`. */
  log: ProxyLogEntry[];
  /** Replace the rules (checked in order, first match wins) and clear the log and counters. */
  reset(rules?: FaultRule[], random?: RandomFaults): void;
  stop(): Promise<void>;
}

export interface Upstream {
  host: string;
  port: number;
  /** CA that verifies the upstream's certificate; none means not verified. */
  caFile?: string;
}

/** Small seeded PRNG (mulberry32): the same seed gives the same sequence (fault choices, kill points). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Starts the proxy on a free loopback port; its certificate is written into `certDir`. */
export async function startFaultProxy(upstream: Upstream, certDir: string): Promise<FaultProxy> {
  const cert = makeSelfSignedCert(certDir);
  const upstreamCa = upstream.caFile === undefined ? undefined : readFileSync(upstream.caFile);
  let rules: (FaultRule & { left: number })[] = [];
  let random: (RandomFaults & { next: () => number }) | undefined;
  let count = 0;
  const log: ProxyLogEntry[] = [];
  const sockets = new Set<Socket>();
  const rawSockets = new Map<number, Socket>();

  const pick = (method: string, path: string, n: number): FaultKind | undefined => {
    for (const r of rules) {
      if (r.left <= 0) continue;
      if (r.method !== undefined && r.method !== method) continue;
      if (r.path !== undefined && !r.path.test(path)) continue;
      if (r.requestNumber !== undefined && r.requestNumber !== n) continue;
      r.left--;
      return r.kind;
    }
    if (random === undefined) return undefined;
    if (random.method !== undefined && random.method !== method) return undefined;
    if (random.path !== undefined && !random.path.test(path)) return undefined;
    const roll = random.next();
    const kind = random.next();
    return roll < random.rate ? random.kinds[Math.floor(kind * random.kinds.length)] : undefined;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const n = ++count;
    const fault = pick(method, path, n);
    const entry: ProxyLogEntry = { n, method, path, outcome: fault ?? 0 };
    log.push(entry);
    if (fault === 'reset') {
      // A TLS socket cannot send an RST itself; the TCP socket under it can.
      const raw = rawSockets.get(req.socket.remotePort ?? -1);
      if (raw !== undefined) raw.resetAndDestroy();
      else req.socket.destroy();
      return;
    }
    const body: Buffer[] = [];
    req.on('data', (b: Buffer) => body.push(b));
    req.on('end', () => {
      if (fault === 'stall') return;
      if (fault === '500' || fault === '503') {
        const [code, msg] = fault === '500' ? ['InternalError', 'We encountered an internal error.'] : ['SlowDown', 'Please reduce your request rate.'];
        const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${msg}</Message></Error>`;
        res.writeHead(Number(fault), { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
        res.end(xml);
        return;
      }
      forward(req, Buffer.concat(body), res, fault, entry);
    });
  };

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse, fault: FaultKind | undefined, entry: ProxyLogEntry): void => {
    const up = httpsRequest(
      {
        host: upstream.host,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        ca: upstreamCa,
        rejectUnauthorized: upstreamCa !== undefined,
        servername: upstream.host === '127.0.0.1' ? undefined : upstream.host,
      },
      (upRes) => {
        const chunks: Buffer[] = [];
        upRes.on('data', (b: Buffer) => chunks.push(b));
        upRes.on('end', () => {
          const data = Buffer.concat(chunks);
          if (entry.outcome === 0) entry.outcome = upRes.statusCode ?? 0;
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          if (fault === 'short' && data.length > 0) {
            res.write(data.subarray(0, Math.floor(data.length / 2)), () => res.socket?.destroy());
            return;
          }
          if (fault === 'corrupt' && data.length > 0) data[Math.floor(data.length / 2)] ^= 0x5a;
          else if (fault !== undefined) entry.outcome = upRes.statusCode ?? 0;
          res.end(data);
        });
      },
    );
    up.on('error', () => res.socket?.destroy());
    up.end(body);
  };

  const server: Server = createServer({ key: readFileSync(cert.keyFile), cert: readFileSync(cert.certFile) }, handle);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    const remotePort = s.remotePort ?? -1;
    rawSockets.set(remotePort, s);
    s.on('close', () => {
      sockets.delete(s);
      rawSockets.delete(remotePort);
    });
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    endpoint: '127.0.0.1',
    port,
    caFile: cert.certFile,
    log,
    reset(newRules = [], newRandom) {
      rules = newRules.map((r) => ({ ...r, left: r.times ?? Infinity }));
      random = newRandom === undefined ? undefined : { ...newRandom, next: prng(newRandom.seed) };
      count = 0;
      log.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
