/**
 * `vmm-actors demo --inspect`: the engine in the Stately inspector (stately.ai/inspect), through
 * `@statelyai/inspect` — the XState v5 successor of `@xstate/inspect`, which only speaks XState v4. Its
 * `createInspector` turns our XState-shaped events into its wire form; a local page embeds the Stately UI and
 * feeds it from a websocket relay that keeps the whole run, so opening the page late loses nothing. The UI
 * itself lives on stately.ai: offline, `statelyReachable()` says so and the local viewer is the way.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInspector } from '@statelyai/inspect';
import { WebSocketServer } from 'ws';
import type { StatelyInspectorLike } from './inspector.js';
import { Relay } from './relay.js';

export const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect';

/** Can the Stately inspector UI be loaded? A HEAD request, bounded by `timeoutMs`. */
export async function statelyReachable(url = STATELY_INSPECTOR_URL, timeoutMs = 3000): Promise<boolean> {
  try {
    const response = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
    return response.status < 500;
  } catch {
    return false;
  }
}

/** The bridge page: the Stately UI in a frame, fed over postMessage once it says it is connected. */
const bridgePage = (inspectorUrl: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>vmm-actors · Stately inspector</title>
<style>html,body{margin:0;height:100%}iframe{border:0;width:100%;height:100%}</style></head>
<body><iframe id="inspector" src="${inspectorUrl}"></iframe>
<script>
  const frame = document.getElementById('inspector');
  const waiting = [];
  let connected = false;
  window.addEventListener('message', (e) => {
    if (e.data && e.data.type === '@statelyai.connected') {
      connected = true;
      for (const event of waiting.splice(0)) frame.contentWindow.postMessage(event, '*');
    }
  });
  const socket = new WebSocket('ws://' + location.host);
  socket.onmessage = (m) => {
    const event = JSON.parse(m.data);
    if (connected) frame.contentWindow.postMessage(event, '*'); else waiting.push(event);
  };
</script></body></html>`;

export interface StatelyBridge {
  /** The page to open in a browser. */
  readonly url: string;
  /** Give this to `createVMM({ inspect })`. */
  readonly inspector: StatelyInspectorLike;
  readonly relay: Relay;
  close(): Promise<void>;
}

export async function startStatelyBridge(options: { host?: string; port?: number; inspectorUrl?: string } = {}): Promise<StatelyBridge> {
  const relay = new Relay();
  const page = bridgePage(options.inspectorUrl ?? STATELY_INSPECTOR_URL);
  const http = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page);
  });
  const wss = new WebSocketServer({ server: http });
  relay.attach(wss);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => resolve());
  });
  const url = `http://${host}:${(http.address() as AddressInfo).port}/`;
  const inspector = createInspector({ send: (event) => relay.publish(JSON.stringify(event)) });
  return {
    url,
    inspector: inspector as unknown as StatelyInspectorLike,
    relay,
    close: () =>
      new Promise<void>((resolve) => {
        relay.close();
        wss.close();
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/** Best effort: ask the desktop to open a URL (xdg-open / open / start); silent when there is none. */
export function openInBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no desktop: the URL is printed anyway
  }
}
