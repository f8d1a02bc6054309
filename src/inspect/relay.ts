/**
 * A websocket relay, as `@statelyai/inspect`'s inspector server works: what a publisher sends goes to every
 * other client, and a client that connects late first gets what was sent before. Engines streaming with
 * `--inspect-ws` and viewer pages meet here, in either order. Readers (pages) are read-only: a reader that
 * sends is closed (1008). The replay buffer is bounded by bytes: past `maxBytes` the oldest messages go, and
 * a late client first gets a DROPPED_TYPE marker saying how many (the viewer shows it). A message over
 * `maxMessageBytes` is refused (ws closes its sender with 1009), and a client that does not read is closed
 * once `maxBytes` wait for it.
 */
import WebSocket, { type WebSocketServer } from 'ws';
import type { IncomingMessage } from 'node:http';

export interface RelayLimits {
  /** Replay buffer, in UTF-8 bytes (default 64 MiB). */
  maxBytes: number;
  /** One message, in bytes (default 4 MiB): the WebSocketServer's `maxPayload`. */
  maxMessageBytes: number;
}

export const RELAY_LIMITS: RelayLimits = { maxBytes: 64 * 1024 * 1024, maxMessageBytes: 4 * 1024 * 1024 };

/** The marker a late client gets first when the replay buffer lost messages. */
export const DROPPED_TYPE = '@vmm-actors.relay.dropped';

export type RelayRole = 'reader' | 'publisher';

export class Relay {
  readonly limits: RelayLimits;
  readonly #messages: { text: string; bytes: number }[] = [];
  #head = 0;
  #bytes = 0;
  readonly #clients = new Set<WebSocket>();
  #dropped = 0;
  #droppedBytes = 0;

  constructor(limits: Partial<RelayLimits> = {}) {
    this.limits = { ...RELAY_LIMITS, ...limits };
  }

  /** The replay buffer, oldest first. */
  get messages(): string[] {
    return this.#messages.slice(this.#head).map((m) => m.text);
  }

  /** Bytes held for replay. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Messages dropped from the replay buffer (full) or refused (too large). */
  get dropped(): number {
    return this.#dropped;
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Take the server's connections; `role` decides who may publish (default: nobody, pages only read). */
  attach(server: WebSocketServer, role: (request: IncomingMessage) => RelayRole = () => 'reader'): void {
    server.on('connection', (socket, request) => this.add(socket, role(request)));
  }

  /** A client: replay the buffer to it; relay what a publisher sends, close a reader that sends. */
  add(socket: WebSocket, role: RelayRole = 'reader'): void {
    this.#clients.add(socket);
    if (this.#dropped > 0) socket.send(JSON.stringify({ type: DROPPED_TYPE, dropped: this.#dropped, bytes: this.#droppedBytes }));
    for (let i = this.#head; i < this.#messages.length; i++) socket.send(this.#messages[i]!.text);
    socket.on('message', (data, isBinary) => {
      if (role !== 'publisher') socket.close(1008, 'read-only');
      else if (!isBinary) this.publish(data.toString(), socket);
    });
    socket.on('close', () => this.#clients.delete(socket));
    socket.on('error', () => this.#clients.delete(socket));
  }

  publish(message: string, from?: WebSocket): void {
    const bytes = Buffer.byteLength(message);
    if (bytes > this.limits.maxMessageBytes) return this.#drop(bytes);
    this.#messages.push({ text: message, bytes });
    this.#bytes += bytes;
    while (this.#bytes > this.limits.maxBytes) {
      const oldest = this.#messages[this.#head++]!;
      this.#bytes -= oldest.bytes;
      this.#drop(oldest.bytes);
    }
    // Compact now and then: shift() on a long array is O(n) per message.
    if (this.#head > 1024 && this.#head * 2 > this.#messages.length) {
      this.#messages.splice(0, this.#head);
      this.#head = 0;
    }
    for (const client of this.#clients) {
      if (client === from || client.readyState !== WebSocket.OPEN) continue;
      // A client that does not read would make us hold everything for it: let it go (it may reconnect).
      if (client.bufferedAmount > this.limits.maxBytes) client.terminate();
      else client.send(message);
    }
  }

  close(): void {
    for (const client of this.#clients) client.terminate();
    this.#clients.clear();
  }

  #drop(bytes: number): void {
    this.#dropped++;
    this.#droppedBytes += bytes;
  }
}
