/**
 * What two threads cost each other on this machine, apart from the checker: each of two kinds of work timed on one
 * worker thread alone, then on two at once. `arithmetic` touches no memory (a multiply-add loop); `allocation`
 * makes 3 million small objects in rounds of 100,000, as a search makes and drops worlds. Where two allocating
 * threads run slower side by side than alone, two search workers cannot reach 2× one thread whatever the search
 * does (docs/model-checking-internals.md, "Stop 22").
 *
 * Run: `node dist/bench/thread-contention.js [rounds]` (each kind's figures are the fastest of `rounds`, default 3).
 */
import { Worker } from 'node:worker_threads';

const WORK = {
  arithmetic: 'let x = 0; for (let i = 0; i < 3e8; i++) x = (x * 31 + i) | 0; globalThis.sink = x;',
  allocation: "const objs = []; for (let r = 0; r < 30; r++) { for (let i = 0; i < 100000; i++) objs.push({ a: i, b: [i, i + 1], c: 'x' + (i & 255) }); objs.length = 0; }",
} as const;

/** Milliseconds `code` takes on each of `threads` worker threads started together. */
async function timed(code: string, threads: number): Promise<number[]> {
  const body = `const { parentPort } = require('node:worker_threads'); const t = process.hrtime.bigint(); ${code} parentPort.postMessage(Number(process.hrtime.bigint() - t) / 1e6);`;
  return Promise.all(Array.from({ length: threads }, () => new Promise<number>((resolve, reject) => new Worker(body, { eval: true }).once('message', resolve).once('error', reject))));
}

export async function main(rounds = Number(process.argv[2] ?? 3)): Promise<Record<string, { alone: number; together: number[] }>> {
  const out: Record<string, { alone: number; together: number[] }> = {};
  for (const [kind, code] of Object.entries(WORK)) {
    let alone = Infinity;
    let together = [Infinity, Infinity];
    for (let i = 0; i < rounds; i++) {
      alone = Math.min(alone, (await timed(code, 1))[0]!);
      const both = await timed(code, 2);
      if (Math.max(...both) < Math.max(...together)) together = both;
    }
    out[kind] = { alone, together };
    console.log(`${kind}: alone ${alone.toFixed(0)} ms, two at once ${together.map((t) => t.toFixed(0)).join(' / ')} ms (${(Math.max(...together) / alone).toFixed(2)}×)`);
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
