/**
 * `vmm-actors demo --inspect`: the engine in the Stately inspector (stately.ai/inspect), through
 * `@statelyai/inspect` — the XState v5 successor of `@xstate/inspect`, which only speaks XState v4. Its
 * `createInspector` turns our XState-shaped events into its wire form; a local page embeds the Stately UI and
 * feeds it from a websocket relay that keeps the whole run, so opening the page late loses nothing. The UI
 * itself lives on stately.ai: offline, `statelyReachable()` says so and the local viewer is the way.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { contentSecurityPolicy, hostAllowed, hostGuard, refuse, refuseUpgrade, securityHeaders, upgradeRefusal, urlHost } from './http-guard.js';
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

/** The bridge script: the Stately UI in a frame, fed over postMessage (to its origin only) once it says it is connected. */
const bridgeScript = (inspectorOrigin: string) => `
  const origin = ${JSON.stringify(inspectorOrigin)};
  const frame = document.getElementById('inspector');
  const waiting = [];
  let connected = false;
  window.addEventListener('message', (e) => {
    if (e.origin === origin && e.data && e.data.type === '@statelyai.connected') {
      connected = true;
      for (const event of waiting.splice(0)) frame.contentWindow.postMessage(event, origin);
    }
  });
  const socket = new WebSocket('ws://' + location.host);
  socket.onmessage = (m) => {
    const event = JSON.parse(m.data);
    if (connected) frame.contentWindow.postMessage(event, origin); else waiting.push(event);
  };
`;

const bridgePage = (inspectorUrl: string, script: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>vmm-actors · Stately inspector</title>
<style>html,body{margin:0;height:100%}iframe{border:0;width:100%;height:100%}</style></head>
<body><iframe id="inspector" src="${inspectorUrl}"></iframe>
<script>${script}</script></body></html>`;

export interface StatelyBridge {
  /** The page to open in a browser. */
  readonly url: string;
  /** Give this to `createVMM({ inspect })`. */
  readonly inspector: StatelyInspectorLike;
  readonly relay: Relay;
  close(): Promise<void>;
}

/**
 * `@statelyai/inspect` is an optional peer dependency (a production install stays small; only this bridge
 * needs it): loaded here, with a clear error where it is not installed.
 */
async function statelyInspect(): Promise<typeof import('@statelyai/inspect')> {
  try {
    return await import('@statelyai/inspect');
  } catch (error) {
    throw new Error('the Stately inspector bridge needs the @statelyai/inspect package: npm install @statelyai/inspect', { cause: error });
  }
}

export async function startStatelyBridge(options: { host?: string; port?: number; inspectorUrl?: string } = {}): Promise<StatelyBridge> {
  const { createInspector } = await statelyInspect();
  const relay = new Relay();
  const inspectorUrl = options.inspectorUrl ?? STATELY_INSPECTOR_URL;
  const inspectorOrigin = new URL(inspectorUrl).origin;
  const script = bridgeScript(inspectorOrigin);
  const page = bridgePage(inspectorUrl, script);
  let guard = hostGuard('127.0.0.1', -1);
  let headers: Record<string, string> = {};
  const http = createServer((req, res) => {
    if (!hostAllowed(guard, req)) return refuse(res, headers, 403, 'host not allowed');
    res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' });
    res.end(page);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => resolve());
  });
  const address = http.address() as AddressInfo;
  guard = hostGuard(address.address, address.port);
  const scriptHash = `'sha256-${createHash('sha256').update(script).digest('base64')}'`;
  headers = securityHeaders(contentSecurityPolicy(guard, { script: [scriptHash], frame: [inspectorOrigin] }));
  // Pages only read: the engine publishes in this process, through the inspector below.
  const wss = new WebSocketServer({ noServer: true, maxPayload: relay.limits.maxMessageBytes });
  http.on('upgrade', (req: IncomingMessage, socket, head) => {
    const why = upgradeRefusal(guard, req);
    if (why) return refuseUpgrade(socket, 403, why);
    if (relay.full) return refuseUpgrade(socket, 503, 'too many connections');
    wss.handleUpgrade(req, socket, head, (ws) => relay.add(ws, 'reader'));
  });
  const url = `http://${urlHost(host)}:${address.port}/`;
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
