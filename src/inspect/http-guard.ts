/**
 * What the local servers (the viewer, the Stately bridge) accept, checked before anything is read or relayed:
 * a `Host` that names the loopback address they listen on (a foreign name is a DNS-rebinding page), a
 * WebSocket `Origin` that is the page's own (browsers always send one; a page elsewhere may not read the
 * stream), and a publisher that shows the server's token (only engines publish; pages never see it). Every
 * response carries the same security headers.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';

export interface HostGuard {
  /** `host:port` forms the server answers to (lower case), e.g. `127.0.0.1:8080`, `localhost:8080`. */
  readonly hosts: ReadonlySet<string>;
  /** `http://` + each host: the page's origins. */
  readonly origins: ReadonlySet<string>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** A host name or address as it stands in a URL (IPv6 in brackets). */
export function urlHost(name: string): string {
  return isIP(name) === 6 ? `[${name}]` : name;
}

/** The names a server listening on `address:port` answers to: that address and, on loopback, `localhost`. */
export function hostGuard(address: string, port: number): HostGuard {
  const names = new Set([address.toLowerCase()]);
  if (LOOPBACK.has(address.toLowerCase()) || address.startsWith('127.')) names.add('localhost');
  if (address === 'localhost') names.add('127.0.0.1');
  const hosts = new Set([...names].map((name) => `${urlHost(name)}:${port}`));
  return { hosts, origins: new Set([...hosts].map((h) => `http://${h}`)) };
}

export function hostAllowed(guard: HostGuard, req: IncomingMessage): boolean {
  const host = req.headers.host;
  return typeof host === 'string' && guard.hosts.has(host.toLowerCase());
}

/** A browser's WebSocket must come from the page itself; a client without `Origin` is not a browser page. */
export function originAllowed(guard: HostGuard, req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  return origin === undefined || guard.origins.has(origin.toLowerCase());
}

/** Why a websocket upgrade is refused before its handshake (undefined: go on). */
export function upgradeRefusal(guard: HostGuard, req: IncomingMessage): string | undefined {
  if (!hostAllowed(guard, req)) return 'host not allowed';
  if (!originAllowed(guard, req)) return 'origin not allowed';
  return undefined;
}

/** Where the CLI takes a publisher token from (`view --live` uses it, `--inspect-ws` shows it), off argv. */
export const INSPECT_TOKEN_ENV = 'VMM_ACTORS_INSPECT_TOKEN';

/** A fresh publisher token (256 bits, URL-safe). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The token a client shows: `?token=` on the URL or `Authorization: Bearer …`. */
export function tokenOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^Bearer /i.test(auth)) return auth.slice(7).trim();
  try {
    return new URL(req.url ?? '/', 'http://x').searchParams.get('token') ?? undefined;
  } catch {
    return undefined;
  }
}

/** Constant-time comparison (the length of a token is no secret). */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The page's policy: its own origin only, no framing, no plugins, no forms, no base rewriting. */
export function contentSecurityPolicy(guard: HostGuard, extra: { connect?: string[]; frame?: string[]; script?: string[] } = {}): string {
  const ws = [...guard.hosts].map((h) => `ws://${h}`);
  return [
    "default-src 'self'",
    `script-src 'self'${extra.script ? ` ${extra.script.join(' ')}` : ''}`,
    "img-src 'self' data:",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    `connect-src 'self' ${[...ws, ...(extra.connect ?? [])].join(' ')}`,
    `frame-src ${extra.frame ? extra.frame.join(' ') : "'none'"}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers every response gets (errors and JSON too: a sniffing browser or a framing page gets nothing). */
export function securityHeaders(csp: string): Record<string, string> {
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-store',
  };
}

/** Answer a request the guard refused (HTTP). */
export function refuse(res: ServerResponse, headers: Record<string, string>, status: number, why: string): void {
  res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${why}\n`);
}

/** Refuse a WebSocket upgrade before the handshake: a plain HTTP answer, then the socket is closed. */
export function refuseUpgrade(socket: Duplex, status: number, why: string): void {
  socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(why)}\r\n\r\n${why}`);
}
