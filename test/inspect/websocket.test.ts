/**
 * Goal: inspection reaches a websocket inspector — @statelyai/inspect's `createWebSocketInspector`, and our
 * own `--inspect-ws` stream (Stately's wire form plus virtual time) — with the right types, systemIds and
 * order; and a socket nobody answers is reported, not waited on.
 * Method: a ws server on 127.0.0.1 at a random port collects messages; the test awaits the message that ends
 * the run (the VM's TERMINATED snapshot) instead of sleeping.
 */
import { createWebSocketInspector } from '@statelyai/inspect';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { createWebSocketSink } from '../../src/inspect/ws-stream.js';
import { toStatelyWire } from '../../src/inspect/stately-wire.js';
import { collect, lifecycle, SYSTEM_ID } from './helpers.js';

interface Wire { type: string; sessionId: string; snapshot?: { value: string }; event?: { type: string }; tNs?: number; seq?: number }

const isEnd = (m: Wire) => m.type === '@xstate.snapshot' && m.sessionId === 'vm.1' && m.snapshot?.value === 'TERMINATED';

let server: WebSocketServer;
let url: string;
let messages: Wire[];
let ended: Promise<void>;

beforeEach(async () => {
  messages = [];
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ended = new Promise<void>((resolve) => {
    server.on('connection', (socket) =>
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString()) as Wire;
        messages.push(message);
        if (isEnd(message)) resolve();
      }),
    );
  });
});

afterEach(async () => {
  for (const client of server.clients) client.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('websocket inspection (createWebSocketInspector, --inspect-ws)', () => {
  it('@statelyai/inspect createWebSocketInspector receives the run in order', async () => {
    const inspector = createWebSocketInspector({ url, maxDeferredEvents: 1_000_000 });
    await lifecycle(inspector);
    await ended;
    inspector.stop();
    expect(new Set(messages.map((m) => m.type))).toEqual(new Set(['@xstate.actor', '@xstate.event', '@xstate.snapshot']));
    expect(messages.every((m) => SYSTEM_ID.test(m.sessionId))).toBe(true);
    expect(messages.slice(0, 3).map((m) => [m.type, m.sessionId])).toEqual([
      ['@xstate.actor', 'vm.1'], ['@xstate.actor', 'vm.1/cpu.0'], ['@xstate.actor', 'vm.1/cpu.1'],
    ]);
    expect(messages.filter((m) => m.type === '@xstate.snapshot' && m.sessionId === 'vm.1').map((m) => m.snapshot!.value)).toEqual([
      'CREATED', 'POWERING_ON', 'RUNNING', 'POWERING_OFF', 'OFF', 'DESTROYING', 'TERMINATED',
    ]);
  });

  it('--inspect-ws streams every record, in order, with virtual time, as Stately wire events', async () => {
    const memory = collect();
    const sink = createWebSocketSink(url);
    await lifecycle([memory.sink, sink]);
    await sink.close();
    await ended;
    expect(sink.sent).toBe(memory.records.length);
    expect(messages).toEqual(memory.records.map((r) => JSON.parse(JSON.stringify(toStatelyWire(r)))));
    expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => i));
    expect(messages.every((m) => typeof m.tNs === 'number' && SYSTEM_ID.test(m.sessionId))).toBe(true);
  });

  it('reports a socket nobody listens on once and lets the run finish', async () => {
    const errors: Error[] = [];
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const sink = createWebSocketSink(`ws://127.0.0.1:${port}`, { onError: (e) => errors.push(e) });
    const { vm } = await lifecycle(sink);
    await sink.close();
    expect(vm.state).toBe('TERMINATED');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/ECONNREFUSED/);
    expect(sink.sent).toBe(0);
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 }); // for afterEach
  });
});
