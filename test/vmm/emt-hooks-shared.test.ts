/**
 * emtHooksOf builds an EMT's hooks from the embedder's hooks only, so one frozen object serves every EMT and
 * every copy of a world (a copy revives its EMTs' hooks: no new bound functions per EMT per copy), and a
 * changed hooks object gets hooks of its own.
 */
import { describe, expect, it } from 'vitest';
import { emtHooksOf } from '../../src/vmm/halt/engine.js';
import { codeStamp } from '../../src/persist/registry.js';
import type { EmtHooks } from '../../src/vmm/emt.js';
import type { VmCore } from '../../src/vmm/vm-core.js';

const vm = {} as VmCore; // emtHooksOf does not read the VM

describe('emtHooksOf', () => {
  it('gives the same frozen hooks for the same embedder hooks', () => {
    const user: EmtHooks = { onEmtExit: () => {} };
    const a = emtHooksOf(vm, { hooks: user });
    expect(emtHooksOf(vm, { hooks: user })).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(codeStamp(a.onEmtExit)?.args?.[0]).toBe(user.onEmtExit);
    expect(emtHooksOf(vm, {})).toBe(emtHooksOf(vm, { hooks: undefined }));
  });

  it.each([
    ['a hook replaced', (h: EmtHooks) => Object.assign(h, { onEmtExit: () => {} })],
    ['a hook added', (h: EmtHooks) => Object.assign(h, { onTerminated: () => {} })],
    ['a halt hook overridden', (h: EmtHooks) => Object.assign(h, { wait: undefined })],
  ])('builds them again when the embedder changed its hooks object (%s)', (_name, change) => {
    const user: EmtHooks = { onEmtExit: () => {} };
    const before = emtHooksOf(vm, { hooks: user });
    change(user);
    const after = emtHooksOf(vm, { hooks: user });
    expect(after).not.toBe(before);
    expect(codeStamp(after.onEmtExit)?.args?.[0]).toBe(user.onEmtExit);
    if (user.onTerminated) expect(codeStamp(after.onTerminated)?.args?.[0]).toBe(user.onTerminated);
    else expect([codeStamp(after.onTerminated)?.name, codeStamp(after.onTerminated)?.args?.[0]], 'no embedder hook bound').toEqual([codeStamp(before.onTerminated)?.name, undefined]);
    for (const key of Object.keys(user) as (keyof EmtHooks)[]) if (key !== 'onEmtExit' && key !== 'onTerminated') expect(after[key]).toBe(user[key]);
  });
});
