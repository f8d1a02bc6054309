/**
 * The local viewer's server (`vmm-actors view`): node:http on 127.0.0.1 serving the page, its scripts, the
 * machine graphs and the trace, with mermaid shipped as a built asset (dist/vendor, or node_modules from a
 * checkout) — no CDN, nothing from the network, and a Content-Security-Policy on every response that forbids
 * the page to reach anywhere else or to be framed. With `live` it is also a websocket relay at that address,
 * so engines started with `--inspect-ws <url>` show up as they run; when another relay already owns the
 * address, it attaches to that one as a client instead. Requests must name the loopback host it listens on,
 * websocket pages must come from its own origin and read only; engines publish with the server's token
 * (http-guard.ts).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import WebSocket, { WebSocketServer } from 'ws';
import { toMermaidFlowchart } from './export/mermaid.js';
import {
  contentSecurityPolicy, hostAllowed, hostGuard, newToken, refuse, refuseUpgrade, securityHeaders, upgradeRefusal,
  tokenMatches, tokenOf, urlHost,
} from './http-guard.js';
import { allMachineGraphs } from './machine-graph.js';
import { Relay, type RelayLimits } from './relay.js';
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
  /** What engines must show to publish (default: a fresh random token; `wsUrl` carries it). */
  token?: string;
  /** The relay's byte limits (RELAY_LIMITS by default). */
  limits?: Partial<RelayLimits>;
}

export interface ViewerServer {
  /** The page: http://127.0.0.1:PORT/ */
  readonly url: string;
  /** Where engines stream to (`--inspect-ws`), with the publisher token as `?token=`. */
  readonly wsUrl: string;
  /** The publisher token (also in `wsUrl`; `Authorization: Bearer <token>` works too). */
  readonly token: string;
  readonly mode: 'trace' | 'live' | 'live-attached';
  readonly relay: Relay;
  close(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
/** Next to this file when run from source; from dist/, the sources shipped in the package. */
const VIEWER_DIRS = [join(here, 'viewer'), join(here, '..', '..', '..', 'src', 'inspect', 'viewer')];
/** The build's copy of mermaid (dist/vendor, scripts/vendor-mermaid.mjs), gzipped: from dist/, or from source. */
const MERMAID_ASSETS = [join(here, '..', '..', 'vendor', 'mermaid.min.js.gz'), join(here, '..', '..', 'dist', 'vendor', 'mermaid.min.js.gz')];
const ASSET = /^[a-z][a-z0-9-]*\.(js|css|html|svg)$/;
const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', html: 'text/html; charset=utf-8',
  svg: 'image/svg+xml', json: 'application/json; charset=utf-8',
};

/** The first of `paths` that can be read. */
function readFirst(paths: readonly string[]): Buffer | undefined {
  for (const path of paths) {
    try {
      return readFileSync(path);
    } catch {
      // try the next place
    }
  }
  return undefined;
}

const readAsset = (name: string) => readFirst(VIEWER_DIRS.map((dir) => join(dir, name)));

/** mermaid.min.js gzipped: the built asset, or (a checkout without a build) the dev dependency. */
let mermaidCache: { gzip: Buffer; plain?: Buffer } | null | undefined;
function mermaidScript(): typeof mermaidCache {
  if (mermaidCache !== undefined) return mermaidCache;
  const built = readFirst(MERMAID_ASSETS);
  if (built) return (mermaidCache = { gzip: built });
  try {
    const plain = readFileSync(createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js'));
    mermaidCache = { gzip: gzipSync(plain), plain };
  } catch {
    mermaidCache = null;
  }
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
  const relay = new Relay(options.limits);
  const token = options.token ?? newToken();
  // Set once listening (the port is known then); until then nothing is answered.
  let guard = hostGuard('127.0.0.1', -1);
  let headers: Record<string, string> = {};
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (!hostAllowed(guard, req)) return refuse(res, headers, 403, 'host not allowed');
    const path = (req.url ?? '/').split('?')[0]!;
    const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
      res.writeHead(status, { ...headers, 'content-type': type, ...extra });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'text/plain', 'GET only');
    if (path === '/' || path === '/index.html') {
      const page = readAsset('index.html');
      return page ? send(200, TYPES.html!, page) : send(500, 'text/plain', 'viewer assets missing');
    }
    if (path === '/vendor/mermaid.min.js') {
      const mermaid = mermaidScript();
      if (!mermaid) return send(500, 'text/plain', 'mermaid missing: build the package (npm run build) or install mermaid');
      if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
        return send(200, TYPES.js!, mermaid.gzip, { 'content-encoding': 'gzip', vary: 'accept-encoding' });
      }
      mermaid.plain ??= gunzipSync(mermaid.gzip);
      return send(200, TYPES.js!, mermaid.plain, { vary: 'accept-encoding' });
    }
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
  http.headersTimeout = 10_000;
  http.requestTimeout = 30_000;
  const host = options.host ?? '127.0.0.1';
  let mode: ViewerServer['mode'] = options.live ? 'live' : 'trace';
  let upstream: WebSocket | undefined;
  let port: number;
  if (options.live) {
    const target = new URL(options.live);
    if (target.protocol !== 'ws:') throw new Error(`--live wants a ws:// address, got ${options.live}`);
    try {
      port = await listen(http, target.hostname.replace(/^\[(.*)\]$/, '$1'), Number(target.port || 80));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      // Someone relays there already (another viewer, Stately's inspector server): listen to it.
      port = await listen(http, host, 0);
      mode = 'live-attached';
      // As a reader: a token in the address is for engines, and publishers are sent nothing.
      const reader = new URL(options.live);
      reader.searchParams.delete('token');
      upstream = new WebSocket(reader, { maxPayload: relay.limits.maxMessageBytes });
      upstream.on('message', (data, isBinary) => {
        if (!isBinary) relay.publish(data.toString());
      });
      upstream.on('error', () => undefined);
    }
  } else {
    port = await listen(http, host, options.port ?? 0);
  }
  guard = hostGuard((http.address() as AddressInfo).address, port);
  headers = securityHeaders(contentSecurityPolicy(guard));
  // noServer: the upgrade is checked here first (Host, Origin, token), and a taken port is not its error.
  const wss = new WebSocketServer({ noServer: true, maxPayload: relay.limits.maxMessageBytes });
  http.on('upgrade', (req: IncomingMessage, socket, head) => {
    const why = upgradeRefusal(guard, req);
    if (why) return refuseUpgrade(socket, 403, why);
    if (relay.full) return refuseUpgrade(socket, 503, 'too many connections');
    const shown = tokenOf(req);
    if (shown !== undefined && !tokenMatches(token, shown)) return refuseUpgrade(socket, 401, 'wrong token');
    wss.handleUpgrade(req, socket, head, (ws) => relay.add(ws, shown === undefined ? 'reader' : 'publisher'));
  });
  const pageHost = mode === 'live' ? new URL(options.live!).hostname : urlHost(host);
  const origin = `http://${pageHost}:${port}`;
  return {
    url: `${origin}/`,
    // Live on port 0 listens wherever the system put it: say where.
    wsUrl: `ws://${pageHost}:${port}/?token=${encodeURIComponent(token)}`,
    token,
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
