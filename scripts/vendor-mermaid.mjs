// Build step (after tsc): the viewer's diagram renderer as a shipped asset, so a production install needs
// no mermaid package (~150 MB with its dependencies) and `vmm-actors view` works offline. mermaid is MIT;
// its bundle carries its dependencies' notices; its license is copied beside the asset.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'vendor');
const require = createRequire(join(root, 'package.json'));
let script;
try {
  script = require.resolve('mermaid/dist/mermaid.min.js');
} catch {
  console.error('vendor-mermaid: mermaid is not installed (a devDependency: run `npm ci` without --omit=dev)');
  process.exit(1);
}
const pkg = join(dirname(script), '..');
mkdirSync(out, { recursive: true });
const body = readFileSync(script);
writeFileSync(join(out, 'mermaid.min.js.gz'), gzipSync(body, { level: constants.Z_BEST_COMPRESSION }));
const { version, license } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
writeFileSync(join(out, 'mermaid.LICENSE'), `mermaid ${version} (${license}), dist/mermaid.min.js\n\n${readFileSync(join(pkg, 'LICENSE'), 'utf8')}`);
console.log(`vendor-mermaid: mermaid ${version} → dist/vendor/mermaid.min.js.gz (${body.length} bytes, gzipped)`);
