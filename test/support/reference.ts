/**
 * The reference transition table. Read from shared/reference beside the repository when it is there (the
 * steering copy), else from docs/reference (the copy the repository ships); VMM_REFERENCE_DIR overrides both.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const candidates = [
  process.env.VMM_REFERENCE_DIR,
  fileURLToPath(new URL('../../../shared/reference/', import.meta.url)),
  fileURLToPath(new URL('../../docs/reference/', import.meta.url)),
].filter((dir): dir is string => dir !== undefined);

export function readReference<T>(file = 'vmstate-transitions.json'): T {
  const dir = candidates.find((d) => existsSync(`${d}/${file}`));
  if (!dir) throw new Error(`reference ${file} not found in ${candidates.join(', ')}`);
  return JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as T;
}
