/**
 * Goal (issue 15 item 10): an embedder's production install (`npm install vmm-actors --omit=dev`) stays
 * ≤ 25 MiB on disk and `vmm-actors view` still works offline: mermaid (~150 MB with its dependencies) is a
 * devDependency, shipped as a built asset (dist/vendor/mermaid.min.js.gz, scripts/vendor-mermaid.mjs), the
 * Stately bridge's @statelyai/inspect is an optional peer, and no production package runs an install script.
 * Method: the production closure is read from package-lock.json (every package not marked dev) and measured
 * on disk in node_modules (512-byte blocks, as du counts); our own package is what `npm pack --dry-run` lists.
 * The measured tarball install is in the report (npm pack, npm install --omit=dev, du -sh node_modules).
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const MiB = 1024 * 1024;
const BUDGET = 25 * MiB;

interface LockEntry { dev?: boolean; hasInstallScript?: boolean }
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
const production = Object.entries(lock.packages).filter(([path, entry]) => path.startsWith('node_modules/') && !entry.dev);

/** Bytes on disk under `path` (allocated blocks, like du; a file takes at least one 4 KiB block). */
function diskBytes(path: string): number {
  const stat = lstatSync(path);
  const own = Math.max(stat.blocks * 512, stat.isFile() ? 4096 : 0);
  if (!stat.isDirectory()) return own;
  return own + readdirSync(path).reduce((sum, name) => sum + diskBytes(join(path, name)), 0);
}

describe('production install (issue 15 item 10)', () => {
  it('has neither mermaid nor its dependencies, nor @statelyai/inspect, in the production closure', () => {
    const names = production.map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 13));
    for (const heavy of ['mermaid', 'cytoscape', 'katex', 'd3', 'dompurify', '@statelyai/inspect', 'superjson']) expect(names).not.toContain(heavy);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(pkg.devDependencies!.mermaid).toBeDefined();
    expect(pkg.peerDependenciesMeta!['@statelyai/inspect']).toEqual({ optional: true });
  });

  it('runs no install script in production (npm warns about each)', () => {
    expect(production.filter(([, entry]) => entry.hasInstallScript).map(([path]) => path)).toEqual([]);
  });

  it('ships the built mermaid asset and fits the budget: dependencies on disk + the packed files ≤ 25 MiB', () => {
    const deps = production.reduce((sum, [path]) => sum + diskBytes(join(root, path)), 0);
    const [pack] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    ) as [{ files: { path: string; size: number }[] }];
    const paths = pack.files.map((f) => f.path);
    expect(paths).toContain('dist/vendor/mermaid.min.js.gz');
    expect(paths).toContain('dist/vendor/mermaid.LICENSE');
    expect(paths.filter((p) => p.endsWith('.map') || p.startsWith('dist/bench/') || p.startsWith('dist/test/'))).toEqual([]);
    const own = pack.files.reduce((sum, f) => sum + Math.ceil(f.size / 4096) * 4096, 0);
    expect(deps + own).toBeLessThanOrEqual(BUDGET);
  });
});
