/**
 * The live relay under a flood (issue 13 item 3): the viewer (`view --live`) in a child process, so its peak
 * RSS is its own (VmHWM), while publishers with the token send (1) 100 messages of 10 MiB — each over the
 * per-message limit, refused by ws with 1009 (or, past 64 connections at once, at the handshake with 503) —
 * and (2) 1,000 messages of just under the limit (1 GiB), which the replay buffer keeps only up to its byte
 * bound; then a late page reads the replay. Before the bound the
 * relay kept 500,000 messages of any size: 100 × 10 MiB took 1.2 GB RSS. Run: `npx tsx bench/viewer-flood.ts`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { RELAY_LIMITS } from '../src/inspect/relay.js';
import { startViewer } from '../src/inspect/server.js';

const MiB = 1024 * 1024;

/** The child: serve live, print the publisher URL, answer "rss" on stdin with VmHWM and the relay's bytes. */
async function serve(): Promise<void> {
  const viewer = await startViewer({ live: 'ws://127.0.0.1:0' });
  console.log(viewer.wsUrl);
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', () => {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    console.log(JSON.stringify({ peakRssMiB: Number(hwm) / 1024, relayMiB: viewer.relay.bytes / MiB, dropped: viewer.relay.dropped }));
  });
  process.stdin.on('end', () => void viewer.close().then(() => process.exit(0)));
}

function send(url: string, message: string): Promise<number | 'sent'> {
  const socket = new WebSocket(url);
  return new Promise((resolve) => {
    socket.on('open', () =>
      socket.send(message, () => {
        // A message the relay accepts leaves the socket open: close it ourselves once sent.
        setTimeout(() => socket.close(), 20);
      }),
    );
    socket.on('close', (code) => resolve(code === 1000 || code === 1005 ? 'sent' : code));
    socket.on('error', () => undefined);
  });
}

export async function main(): Promise<Record<string, number>> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [...process.execArgv, self, '--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let wake: (() => void) | undefined;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    lines.push(...chunk.split('\n').filter(Boolean));
    wake?.();
  });
  const nextLine = async () => {
    while (lines.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return lines.shift()!;
  };
  const url = await nextLine();
  const stats = async () => {
    child.stdin.write('rss\n');
    return JSON.parse(await nextLine()) as { peakRssMiB: number; relayMiB: number; dropped: number };
  };
  const idle = await stats();
  const big = 'x'.repeat(10 * MiB);
  const codes = await Promise.all(Array.from({ length: 100 }, () => send(url, big)));
  const afterBig = await stats();
  const fits = `"${'y'.repeat(RELAY_LIMITS.maxMessageBytes - 16)}"`;
  for (let i = 0; i < 1000; i += 10) await Promise.all(Array.from({ length: 10 }, () => send(url, fits)));
  const afterFits = await stats();
  // A late page reads the whole replay.
  const page = new WebSocket(url.replace(/\?.*/, ''));
  let replayed = 0;
  await new Promise<void>((resolve) => {
    page.on('message', () => {
      if (++replayed === Math.floor(RELAY_LIMITS.maxBytes / RELAY_LIMITS.maxMessageBytes) + 1) resolve();
    });
  });
  page.close();
  const afterReplay = await stats();
  child.stdin.end();
  const figures = {
    idlePeakRssMiB: idle.peakRssMiB,
    tenMiBClosed1009: codes.filter((c) => c === 1009).length,
    tenMiBRefusedAtHandshake: codes.filter((c) => c !== 1009 && c !== 'sent').length,
    tenMiBAccepted: codes.filter((c) => c === 'sent').length,
    peakRssAfter100x10MiB: afterBig.peakRssMiB,
    peakRssAfter1000x1MiB: afterFits.peakRssMiB,
    relayMiB: afterFits.relayMiB,
    dropped: afterFits.dropped,
    peakRssAfterLateReplay: afterReplay.peakRssMiB,
  };
  console.log(`relay limits: ${RELAY_LIMITS.maxBytes / MiB} MiB replay, ${RELAY_LIMITS.maxMessageBytes / MiB} MiB per message (node ${execFileSync(process.execPath, ['--version']).toString().trim()})`);
  for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(26)} ${typeof v === 'number' ? Math.round(v * 10) / 10 : v}`);
  return figures;
}

if (process.argv.includes('--serve')) await serve();
else if (import.meta.url === `file://${process.argv[1]}`) await main();
