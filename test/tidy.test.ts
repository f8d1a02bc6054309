/**
 * Style as a test (TigerBeetle's tidy): time and randomness only through the ports, machines free of I/O,
 * files kept small. A failure names the file and the line to fix.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(root, dir, name);
    if (statSync(path).isDirectory()) return sources(relative(root, path));
    return path.endsWith('.ts') ? [relative(root, path)] : [];
  });
}

/** Real time and randomness are allowed only in the real-time implementations of the ports. */
const BANNED = ['Date.now(', 'Math.random(', 'setTimeout(', 'setInterval(', 'performance.now(', 'process.hrtime'];
const PORT_FILES = new Set(['src/sched/real-time.ts', 'src/time/real-clock.ts']);

describe('tidy', () => {
  it('uses wall-clock time and randomness only in the real-time port files', () => {
    const offenders = [...sources('src'), ...sources('machines')].flatMap((file) => {
      if (PORT_FILES.has(file)) return [];
      return readFileSync(join(root, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (BANNED.some((b) => line.includes(b)) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
    });
    expect(offenders).toEqual([]);
  });

  it('keeps machines/ pure: imports only xstate, the status table and sibling machines', () => {
    const offenders = sources('machines').flatMap((file) =>
      [...readFileSync(join(root, file), 'utf8').matchAll(/from '([^']+)'/g)]
        .map((m) => m[1]!)
        .filter((spec) => spec !== 'xstate' && !spec.startsWith('./') && !spec.endsWith('/src/status.js'))
        .map((spec) => `${file}: ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('keeps source files under 600 lines', () => {
    const big = [...sources('src'), ...sources('machines')].filter(
      (file) => readFileSync(join(root, file), 'utf8').split('\n').length > 600,
    );
    expect(big).toEqual([]);
  });
});
