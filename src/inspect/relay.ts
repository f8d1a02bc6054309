/**
 * A websocket relay, as `@statelyai/inspect`'s inspector server works: what a publisher sends goes to every
 * reader, and a reader that connects late first gets what was sent before. Engines streaming with
 * `--inspect-ws` and viewer pages meet here, in either order. Readers (pages) are read-only: a reader that
 * sends is closed (1008); publishers are write-only (nothing is sent to them). The replay buffer is bounded
 * by bytes: past `maxBytes` the oldest messages go, and a late reader first gets a DROPPED_TYPE marker saying
 * how many (the viewer shows it). A message over `maxMessageBytes` is refused (ws closes its sender with
 * 1009); a reader that does not read is closed once `maxBytes` wait for it; past `maxClients` connections
 * are refused. Messages are kept as one Buffer each and the same Buffer goes to every reader (no copies).
 */
import WebSocket, { type WebSocketServer } from 'ws';
import type { IncomingMessage } from 'node:http';

export interface RelayLimits {
  /** Replay buffer, in UTF-8 bytes (default 64 MiB). */
  maxBytes: number;
  /** One message, in bytes (default 1 MiB; the largest record of a demo run is under 6 KB): ws's `maxPayload`. */
  maxMessageBytes: number;
  /** Connections at once, readers and publishers (default 64). */
  maxClients: number;
}

export const RELAY_LIMITS: RelayLimits = { maxBytes: 64 * 1024 * 1024, maxMessageBytes: 1024 * 1024, maxClients: 64 };

/** The marker a late client gets first when the replay buffer lost messages. */
export const DROPPED_TYPE = '@vmm-actors.relay.dropped';

export type RelayRole = 'reader' | 'publisher';

const EMPTY = Buffer.alloc(0);

/** A message's own Buffer: ws may hand out a view into a larger socket chunk, which would be kept with it. */
function owned(data: WebSocket.RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return buffer.byteOffset === 0 && buffer.buffer.byteLength === buffer.length ? buffer : Buffer.from(buffer);
}

export class Relay {
  readonly limits: RelayLimits;
  readonly #messages: Buffer[] = [];
  #head = 0;
  #bytes = 0;
  readonly #readers = new Set<WebSocket>();
  readonly #clients = new Set<WebSocket>();
  #dropped = 0;
  #droppedBytes = 0;

  constructor(limits: Partial<RelayLimits> = {}) {
    this.limits = { ...RELAY_LIMITS, ...limits };
  }

  /** The replay buffer, oldest first. */
  get messages(): string[] {
    return this.#messages.slice(this.#head).map((m) => m.toString());
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

  /** Another connection would exceed `maxClients`. */
  get full(): boolean {
    return this.#clients.size >= this.limits.maxClients;
  }

  /** Take the server's connections; `role` decides who may publish (default: nobody, pages only read). */
  attach(server: WebSocketServer, role: (request: IncomingMessage) => RelayRole = () => 'reader'): void {
    server.on('connection', (socket, request) => this.add(socket, role(request)));
  }

  /** A client: a reader gets the replay and what follows; a publisher's messages are relayed. */
  add(socket: WebSocket, role: RelayRole = 'reader'): void {
    this.#clients.add(socket);
    const forget = () => {
      this.#clients.delete(socket);
      this.#readers.delete(socket);
    };
    socket.on('close', forget);
    socket.on('error', forget);
    if (role === 'publisher') {
      socket.on('message', (data, isBinary) => {
        if (!isBinary) this.publish(owned(data));
      });
      return;
    }
    this.#readers.add(socket);
    socket.on('message', () => socket.close(1008, 'read-only'));
    if (this.#dropped > 0) socket.send(JSON.stringify({ type: DROPPED_TYPE, dropped: this.#dropped, bytes: this.#droppedBytes }));
    for (let i = this.#head; i < this.#messages.length; i++) socket.send(this.#messages[i]!, { binary: false });
  }

  publish(message: string | Buffer): void {
    const data = typeof message === 'string' ? Buffer.from(message) : message;
    if (data.length > this.limits.maxMessageBytes) return this.#drop(data.length);
    this.#messages.push(data);
    this.#bytes += data.length;
    while (this.#bytes > this.limits.maxBytes) {
      const oldest = this.#messages[this.#head]!;
      this.#messages[this.#head++] = EMPTY; // let it go now, not at the next compaction
      this.#bytes -= oldest.length;
      this.#drop(oldest.length);
    }
    // Compact now and then: shift() on a long array is O(n) per message.
    if (this.#head > 1024 && this.#head * 2 > this.#messages.length) {
      this.#messages.splice(0, this.#head);
      this.#head = 0;
    }
    for (const reader of this.#readers) {
      if (reader.readyState !== WebSocket.OPEN) continue;
      // A reader that does not read would make us hold everything for it: let it go (it may reconnect).
      if (reader.bufferedAmount > this.limits.maxBytes) reader.terminate();
      else reader.send(data, { binary: false });
    }
  }

  close(): void {
    for (const client of this.#clients) client.terminate();
    this.#clients.clear();
    this.#readers.clear();
  }

  #drop(bytes: number): void {
    this.#dropped++;
    this.#droppedBytes += bytes;
  }
}
