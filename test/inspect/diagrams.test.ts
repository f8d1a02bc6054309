/**
 * Goal: the README's diagrams (docs/diagrams/) are the machines as they are now.
 * Method: regenerate them in memory exactly as `npm run diagrams` writes them and compare with the files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { diagramFiles } from '../../src/inspect/export/index.js';

const dir = fileURLToPath(new URL('../../docs/diagrams/', import.meta.url));

describe('docs/diagrams (vmm-actors export all --out docs/diagrams)', () => {
  const files = diagramFiles();

  it.each([...files.keys()])('%s is current (run `npm run diagrams` after changing machines/)', (name) => {
    let onDisk: string | undefined;
    try {
      onDisk = readFileSync(`${dir}${name}`, 'utf8');
    } catch {
      onDisk = undefined;
    }
    expect(onDisk, `docs/diagrams/${name} is missing or stale: run npm run diagrams`).toBe(files.get(name));
  });

  it('holds no diagram of a machine that no longer exists', () => {
    expect(readdirSync(dir).filter((name) => !files.has(name))).toEqual([]);
  });
});
