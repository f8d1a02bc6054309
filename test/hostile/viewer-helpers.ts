/** Shared by the viewer's hostile-input tests: raw HTTP with any Host header, websockets with any Origin. */
import { request } from 'node:http';
import WebSocket from 'ws';
import { TRACE_FORMAT, type TraceRecord } from '../../src/inspect/trace-format.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request as a DNS-rebinding page or a curl user would send it: the Host header is whatever we say. */
export function rawGet(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.hostname.replace(/^\[(.*)\]$/, '$1'), port: target.port, path: target.pathname + target.search, method, headers, setHost: !('host' in headers) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export interface Client {
  socket: WebSocket;
  /** Every message since the handshake (ws may deliver the replay in the same tick as 'open'). */
  messages: string[];
  closed: Promise<number>;
}

/** A websocket client; resolves once open, or with the HTTP status the server refused the upgrade with. */
export function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<{ client?: Client; refused?: number }> {
  const socket = new WebSocket(url, options);
  const messages: string[] = [];
  socket.on('message', (data) => messages.push(data.toString()));
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  return new Promise((resolve) => {
    socket.once('open', () => resolve({ client: { socket, messages, closed } }));
    socket.once('unexpected-response', (_req, res) => {
      resolve({ refused: res.statusCode ?? 0 });
      socket.terminate();
    });
    socket.once('error', () => resolve({ refused: -1 }));
  });
}

/** Wait until `predicate` holds, polling every 5 ms (no timing assertion: the test's timeout bounds it). */
export async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 5));
}

export const HEADER: TraceRecord = { type: 'header', format: TRACE_FORMAT, version: 1, source: 'test', setup: {} };

/** A fake actor announcement, as a hostile page would inject it. */
export const FAKE_ACTOR = JSON.stringify({
  type: '@xstate.actor', seq: 0, tNs: 0, actorId: 'vm.666', rootId: 'vm.666', machine: 'vm', snapshot: { status: 'active', value: 'RUNNING' },
});
