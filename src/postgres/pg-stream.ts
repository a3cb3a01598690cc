/**
 * Stands in for the `pg` package's lib/stream.js in the bundle (build.mjs). That module picks its
 * socket functions when loaded, and to rule out Cloudflare Workers it builds a `Response`: in Node
 * that loads undici and the web streams, 40-50 ms of CPU at the start of every command that talks
 * to PostgreSQL, before its first query. These are its Node functions.
 */
import { Socket } from 'node:net';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';

export function getStream(): Socket {
  return new Socket();
}

export function getSecureStream(options: ConnectionOptions): TLSSocket {
  return connect(options);
}
