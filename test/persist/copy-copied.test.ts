/**
 * ClassSpec.copied: an in-memory copy fills an instance from its fields as usual, then `copied` attaches what is
 * not state (a Vmm's host attachments). Goal: it runs once per copied instance, sees the fields already copied
 * (transient ones undefined, the others copies — objects may not be filled yet, as in a `copy` hook), before the
 * revives, whether the instance is met through the identity table, in an owned field, or with fields other than its
 * class's usual ones; and a `copy` hook takes precedence.
 */
import { describe, expect, it } from 'vitest';
import { copyGraph } from '../../src/persist/graph.js';
import { persistable } from '../../src/persist/registry.js';

const calls: string[] = [];

class Host {
  attached: { by: string } | undefined = undefined;
  part = { n: 1 };
  revived = false;
  constructor(public name: string) {}
}
persistable('test.copied.Host', Host, {
  transient: ['attached'],
  owned: ['part'],
  copied: (from, into) => {
    const partCopied = into.part !== undefined && into.part !== from.part;
    calls.push(`copied ${into.name} attached=${String(into.attached)} part-copied=${partCopied} revived=${into.revived}`);
    into.attached = { by: from.name };
  },
  revive: (host) => {
    host.revived = true;
  },
});

class Holder {
  owned = new Host('owned');
  constructor(public shared: Host) {}
}
persistable('test.copied.Holder', Holder, { owned: ['owned'] });

class Hooked {
  n = 1;
}
persistable('test.copied.Hooked', Hooked, {
  copy: (from, into) => {
    into.n = from.n + 1;
  },
  copied: () => calls.push('copied by a class with a copy hook'),
});

describe('ClassSpec.copied', () => {
  it('runs once per instance, after its fields are copied and before revive (table, owned, unusual fields)', () => {
    const odd = new Host('odd');
    (odd as unknown as { extra: number }).extra = 1; // fields other than the class's usual ones: the generic fill
    const shared = new Host('shared');
    const graph = { a: new Holder(shared), b: shared, odd };
    for (let i = 0; i < 2; i++) {
      calls.length = 0;
      const copy = copyGraph(graph);
      expect(calls.sort()).toEqual(['odd', 'owned', 'shared'].map((name) => `copied ${name} attached=undefined part-copied=true revived=false`));
      expect(copy.b).toBe(copy.a.shared);
      expect(copy.a.shared.attached).toEqual({ by: 'shared' });
      expect(copy.a.owned.attached).toEqual({ by: 'owned' });
      expect(copy.odd.attached).toEqual({ by: 'odd' });
      expect(copy.a.owned.revived && copy.b.revived && copy.odd.revived).toBe(true);
    }
  });

  it('a copy hook takes precedence', () => {
    calls.length = 0;
    expect(copyGraph(new Hooked()).n).toBe(2);
    expect(calls).toEqual([]);
  });
});
