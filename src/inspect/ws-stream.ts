/**
 * `--inspect-ws <url>`: stream the inspection records to a websocket (the local viewer's `--live` relay,
 * `@statelyai/inspect`'s inspector server, or anything that reads JSON messages), in the Stately wire form.
 * Records wait in memory until the socket opens; a socket that cannot open is reported once and the run
 * goes on — inspection never holds the engine up. `close()` resolves once everything is sent. Our relay takes
 * records only from a publisher that shows its token (`?token=` in the URL the viewer prints, or `token`).
 */
import WebSocket from 'ws';
import type { InspectionProtocol } from './adapter.js';
import type { RecordSink } from './inspector.js';
import type { InspectionRecord } from './records.js';
import { toStatelyWire } from './stately-wire.js';

export interface WebSocketSinkOptions {
  protocol?: InspectionProtocol;
  /** A relay's publisher token, sent as `Authorization: Bearer` (or put it in the URL as `?token=`). */
  token?: string;
  /** Told once when the socket fails (default: silent). */
  onError?: (error: Error) => void;
}

export interface WebSocketSink extends RecordSink {
  readonly url: string;
  /** Messages sent so far. */
  readonly sent: number;
  /** Send what is pending, then close; resolves also when the socket failed. */
  close(): Promise<void>;
}

export function createWebSocketSink(url: string, options: WebSocketSinkOptions = {}): WebSocketSink {
  const socket = new WebSocket(url, options.token ? { headers: { authorization: `Bearer ${options.token}` } } : {});
  let pending: string[] = [];
  let failed = false;
  let sent = 0;
  const opened = new Promise<void>((resolve) => {
    socket.once('open', () => {
      for (const message of pending) socket.send(message);
      sent += pending.length;
      pending = [];
      resolve();
    });
    socket.once('error', (error: Error) => {
      if (!failed) options.onError?.(error);
      failed = true;
      pending = [];
      resolve();
    });
  });
  // Our relay closes a client without its token that sends (1008), or a message over its limit (1009): say why.
  socket.once('close', (code: number, reason: Buffer) => {
    if (failed || (code !== 1008 && code !== 1009)) return;
    failed = true;
    const hint = code === 1008 ? ': give the relay\'s token (the address `view --live` prints, or VMM_ACTORS_INSPECT_TOKEN)' : '';
    options.onError?.(new Error(`${url} refused the records (${code} ${reason.toString() || 'policy'})${hint}`));
  });
  return {
    url,
    protocol: options.protocol ?? 'v5',
    get sent() {
      return sent;
    },
    record(record: InspectionRecord) {
      if (failed) return;
      const message = JSON.stringify(toStatelyWire(record));
      if (socket.readyState === WebSocket.OPEN) {
        socket.send(message);
        sent++;
      } else if (socket.readyState === WebSocket.CONNECTING) pending.push(message);
    },
    async close() {
      await opened;
      if (failed || socket.readyState !== WebSocket.OPEN) return;
      // ws sends in order; close after the buffer drains so the last records are not lost.
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.close(1000, 'done');
      });
    },
  };
}
