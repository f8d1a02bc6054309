/**
 * What the CLI does with a trace file besides re-running it: show it in the local viewer until Ctrl-C, or
 * send it to a websocket inspector. Shared by `view` and `replay --view / --inspect-ws`, so a checker
 * counterexample and a recorded demo take the same path.
 */
import { INSPECT_TOKEN_ENV } from './http-guard.js';
import { readTrace, replayTrace } from './replayer.js';
import { startViewer, type ViewerOptions } from './server.js';
import { openInBrowser } from './stately-bridge.js';
import { createWebSocketSink } from './ws-stream.js';

/** Serve the viewer (a trace, or live) and print its address; resolves after SIGINT (or `stop`). */
export async function serveViewer(options: ViewerOptions & { open?: boolean }, out: (line: string) => void, stop?: Promise<void>): Promise<void> {
  const fromEnv = process.env[INSPECT_TOKEN_ENV];
  const viewer = await startViewer({ ...(fromEnv ? { token: fromEnv } : {}), ...options });
  out(`viewer: ${viewer.url}`);
  if (viewer.mode !== 'trace') {
    // With the token in the environment, keep it off the command line (ps shows argv).
    const wsUrl = fromEnv && viewer.token === fromEnv ? viewer.wsUrl.replace(/\?token=.*$/, '') : viewer.wsUrl;
    const how = wsUrl === viewer.wsUrl ? '' : ` (with ${INSPECT_TOKEN_ENV} set)`;
    out(`engines stream to it with: vmm-actors demo --inspect-ws ${wsUrl}${how}${viewer.mode === 'live-attached' ? ` (attached to the relay at ${options.live})` : ''}`);
  }
  out('Ctrl-C to stop');
  if (options.open) openInBrowser(viewer.url);
  await (stop ?? new Promise<void>((resolve) => process.once('SIGINT', () => resolve())));
  await viewer.close();
}

/** Feed a trace file to a websocket inspector; returns the number of records sent (0: nobody answered). */
export async function sendTrace(file: string, url: string, out: (line: string) => void): Promise<number> {
  const sink = createWebSocketSink(url, { token: process.env[INSPECT_TOKEN_ENV], onError: (e) => out(`cannot reach ${url}: ${e.message}`) });
  replayTrace(readTrace(file), sink);
  await sink.close();
  out(`${sink.sent} records sent to ${url}`);
  return sink.sent;
}
