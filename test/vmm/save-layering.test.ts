/**
 * The VM-level save flow is engine code (DESIGN.md "Layout": engine ← file format and transports): the engine
 * defines the ports it needs (src/vmm/save/ports.ts) and src/ssm provides them, so no engine module under
 * src/vmm/save or the operations table value-imports src/ssm or src/teleport (type imports may name them).
 * Method: each module's import statements, read as text.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ENGINE_SAVE_FILES = ['src/vmm/operations.ts', ...readdirSync('src/vmm/save').map((f) => `src/vmm/save/${f}`)];
const VALUE_IMPORT = /^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms;

describe('the save flow sits in the engine layer', () => {
  it.each(ENGINE_SAVE_FILES)('%s value-imports nothing from ssm or teleport', (file) => {
    const imports = [...readFileSync(file, 'utf8').matchAll(VALUE_IMPORT)].map((m) => m[1]!);
    expect(imports.filter((path) => /\/(ssm|teleport)\//.test(path))).toEqual([]);
  });
});
