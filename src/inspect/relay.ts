/**
 * A websocket relay, as `@statelyai/inspect`'s inspector server works: every message a client sends goes to
 * every other client, and a client that connects late first gets what was sent before (bounded). Engines
 * streaming with `--inspect-ws` and viewer pages meet here, in either order.
 */
import WebSocket, { type WebSocketServer } from 'ws';

export class Relay {
  readonly messages: string[] = [];
  readonly #clients = new Set<WebSocket>();
  #dropped = 0;

  constructor(readonly messagesMax = 500_000) {}

  /** Messages dropped from the replay buffer because it was full. */
  get dropped(): number {
    return this.#dropped;
  }

  get clients(): number {
    return this.#clients.size;
  }

  attach(server: WebSocketServer): void {
    server.on('connection', (socket) => this.add(socket));
  }

  /** A client: replay the buffer to it, relay what it sends. */
  add(socket: WebSocket): void {
    this.#clients.add(socket);
    for (const message of this.messages) socket.send(message);
    socket.on('message', (data, isBinary) => {
      if (!isBinary) this.publish(data.toString(), socket);
    });
    socket.on('close', () => this.#clients.delete(socket));
    socket.on('error', () => this.#clients.delete(socket));
  }

  publish(message: string, from?: WebSocket): void {
    this.messages.push(message);
    if (this.messages.length > this.messagesMax) {
      this.messages.shift();
      this.#dropped++;
    }
    for (const client of this.#clients) {
      if (client !== from && client.readyState === WebSocket.OPEN) client.send(message);
    }
  }

  close(): void {
    for (const client of this.#clients) client.terminate();
    this.#clients.clear();
  }
}
