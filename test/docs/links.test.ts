/**
 * Docs a newcomer can follow (issue 15 item 9). Goal: every relative link in the README and docs/ leads to a file
 * of the repository and, with a #fragment, to a heading there (GitHub's anchors); every citation of the
 * reference facts ("§9.3", "reference §12", "vbox-facts.md §8") outside code is such a link, so nothing cites a
 * file the repository does not ship. Method: read the Markdown, skip code fences and inline code.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const docs = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
const FILES = ['README.md', ...docs, 'docs/reference/README.md'];

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\- _]/gu, '').replace(/ /g, '-');

function prose(text: string): string[] {
  let fence = false;
  return text.split('\n').map((line) => {
    if (line.startsWith('```')) {
      fence = !fence;
      return '';
    }
    return fence ? '' : line.replace(/`[^`]*`/g, '``');
  });
}

const headingsOf = (path: string) => new Set(readFileSync(path, 'utf8').split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => slug(l.replace(/^#+ /, ''))));

describe.each(FILES)('%s', (file) => {
  const lines = prose(readFileSync(join(root, file), 'utf8'));

  it('every relative link leads to a file, and its #fragment to a heading there', () => {
    const broken: string[] = [];
    for (const line of lines) {
      for (const [, target] of line.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue; // http:, https:, mailto:
        const [path, fragment] = target!.split('#') as [string, string | undefined];
        const resolved = path === '' ? join(root, file) : join(root, dirname(file), path);
        if (!existsSync(resolved)) broken.push(`${target}: no ${relative(root, resolved)}`);
        else if (fragment && resolved.endsWith('.md') && !headingsOf(resolved).has(fragment)) broken.push(`${target}: no heading #${fragment}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every citation of the reference facts is a link to docs/reference/vbox-facts.md', () => {
    const unlinked = lines.flatMap((line) => [...line.matchAll(/(\[?)((?:vbox-facts\.md |reference )?§\d+(?:\.\d+b?)?)/g)].filter((m) => m[1] !== '[').map((m) => m[2]));
    expect(unlinked).toEqual([]);
  });
});

it('the reference the docs cite is shipped, with the table the conformance tests read', () => {
  expect(existsSync(join(root, 'docs/reference/vbox-facts.md'))).toBe(true);
  const table = JSON.parse(readFileSync(join(root, 'docs/reference/vmstate-transitions.json'), 'utf8')) as { transitions: Record<string, string[]> };
  expect(Object.values(table.transitions).flat()).toHaveLength(65);
});
