/**
 * The local viewer's server (`vmm-actors view`): node:http on 127.0.0.1 serving the page, its scripts, the
 * machine graphs and the trace, with mermaid from node_modules — no CDN, nothing from the network, and a
 * Content-Security-Policy that forbids the page to reach anywhere else. With `live` it is also a websocket
 * relay at that address, so engines started with `--inspect-ws <url>` show up as they run; when another
 * relay already owns the address, it attaches to that one as a client instead.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';
import { toMermaidFlowchart } from './export/mermaid.js';
import { allMachineGraphs } from './machine-graph.js';
import { Relay } from './relay.js';
import { inspectionOf, readTrace, traceHeader } from './replayer.js';
import type { TraceRecord } from './trace-format.js';

export interface ViewerOptions {
  /** A trace file, or its records. */
  trace?: string;
  records?: readonly TraceRecord[];
  /** `ws://host:port`: be the relay there (or attach to the one already there) and show what arrives. */
  live?: string;
  host?: string;
  /** 0 (default): any free port. Ignored with `live`, whose address says where to listen. */
  port?: number;
  title?: string;
}

export interface ViewerServer {
  /** The page: http://127.0.0.1:PORT/ */
  readonly url: string;
  /** Where engines stream to (`--inspect-ws`) in live mode; the page's own socket otherwise. */
  readonly wsUrl: string;
  readonly mode: 'trace' | 'live' | 'live-attached';
  readonly relay: Relay;
  close(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
/** Next to this file when run from source; from dist/, the sources shipped in the package. */
const VIEWER_DIRS = [join(here, 'viewer'), join(here, '..', '..', '..', 'src', 'inspect', 'viewer')];
const ASSET = /^[a-z][a-z0-9-]*\.(js|css|html|svg)$/;
const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', html: 'text/html; charset=utf-8',
  svg: 'image/svg+xml', json: 'application/json; charset=utf-8',
};

function readAsset(name: string): Buffer | undefined {
  for (const dir of VIEWER_DIRS) {
    try {
      return readFileSync(join(dir, name));
    } catch {
      // try the next place
    }
  }
  return undefined;
}

let mermaidCache: Buffer | undefined;
function mermaidScript(): Buffer {
  mermaidCache ??= readFileSync(createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js'));
  return mermaidCache;
}

function machinesPayload(): string {
  return JSON.stringify(allMachineGraphs().map((graph) => ({ ...graph, flowchart: toMermaidFlowchart(graph) })));
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startViewer(options: ViewerOptions = {}): Promise<ViewerServer> {
  const records = options.records ?? (options.trace ? readTrace(options.trace) : undefined);
  const tracePayload = JSON.stringify({
    title: options.title ?? options.trace ?? (options.live ? `live: ${options.live}` : 'vmm-actors'),
    mode: options.live ? 'live' : 'trace',
    header: records ? traceHeader(records) : null,
    records: records ? inspectionOf(records) : [],
  });
  const relay = new Relay();
  let origin = '';
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'text/plain', 'GET only');
    if (path === '/' || path === '/index.html') {
      const csp = `default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self' data:; connect-src 'self' ${origin.replace('http', 'ws')}`;
      const page = readAsset('index.html');
      return page ? send(200, TYPES.html!, page, { 'content-security-policy': csp }) : send(500, 'text/plain', 'viewer assets missing');
    }
    if (path === '/vendor/mermaid.min.js') return send(200, TYPES.js!, mermaidScript());
    if (path === '/api/machines') return send(200, TYPES.json!, machinesPayload());
    if (path === '/api/trace') return send(200, TYPES.json!, tracePayload);
    const name = /^\/viewer\/(.+)$/.exec(path)?.[1];
    if (name && ASSET.test(name)) {
      const body = readAsset(name);
      if (body) return send(200, TYPES[name.split('.').pop()!]!, body);
    }
    return send(404, 'text/plain', 'not found');
  };

  const http = createServer(handler);
  const host = options.host ?? '127.0.0.1';
  let mode: ViewerServer['mode'] = options.live ? 'live' : 'trace';
  let upstream: WebSocket | undefined;
  let port: number;
  if (options.live) {
    const target = new URL(options.live);
    if (target.protocol !== 'ws:') throw new Error(`--live wants a ws:// address, got ${options.live}`);
    try {
      port = await listen(http, target.hostname, Number(target.port || 80));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      // Someone relays there already (another viewer, Stately's inspector server): listen to it.
      port = await listen(http, host, 0);
      mode = 'live-attached';
      upstream = new WebSocket(options.live);
      upstream.on('message', (data, isBinary) => {
        if (!isBinary) relay.publish(data.toString());
      });
      upstream.on('error', () => undefined);
    }
  } else {
    port = await listen(http, host, options.port ?? 0);
  }
  // Only now: a WebSocketServer re-emits its http server's errors, and a taken port is not an error here.
  const wss = new WebSocketServer({ server: http });
  relay.attach(wss);
  const pageHost = mode === 'live' ? new URL(options.live!).hostname : host;
  origin = `http://${pageHost}:${port}`;
  return {
    url: `${origin}/`,
    // Live on port 0 listens wherever the system put it: say where.
    wsUrl: `ws://${pageHost}:${port}`,
    mode,
    relay,
    close: () =>
      new Promise<void>((resolve) => {
        upstream?.terminate();
        relay.close();
        wss.close();
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
