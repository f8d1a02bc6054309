/**
 * Goal: the request queue of vbox-facts.md §5.3/§5.10 as src/streams/request-queue.ts keeps it: FIFO within a
 * lane, the priority lane before the normal one, `take(priorityOnly)`, `drain()` at VM destruction, the
 * MoreThan1 hint, and the `events$` stream.
 *
 * Method: a queue of plain strings; push in a scripted order, take until empty and compare the whole order.
 * events$ is checked by collecting everything it emits.
 */
import { describe, expect, it } from 'vitest';
import { createVMM } from '../../src/index.js';
import { VERR_INVALID_STATE, VINF_SUCCESS } from '../../src/status.js';
import { copyGraph } from '../../src/persist/graph.js';
import { RequestQueue, type QueueEvent } from '../../src/streams/request-queue.js';

/** Take until the queue says there is nothing left. */
function takeAll(queue: RequestQueue<string>, priorityOnly = false): string[] {
  const out: string[] = [];
  for (let guard = 0; guard < 1000; guard++) {
    const taken = queue.take(priorityOnly);
    if (!taken) return out;
    out.push(taken.item);
  }
  throw new Error('queue did not empty within 1000 takes');
}

function collect(queue: RequestQueue<string>): QueueEvent<string>[] {
  const events: QueueEvent<string>[] = [];
  queue.events$.subscribe((e) => events.push(e));
  return events;
}

describe('VMR3ReqProcessU order (RequestQueue.take)', () => {
  it('is FIFO within the normal lane', () => {
    const q = new RequestQueue<string>('cpu.0');
    for (const item of ['n1', 'n2', 'n3', 'n4']) q.push(item, false);
    expect(takeAll(q)).toEqual(['n1', 'n2', 'n3', 'n4']);
  });

  it('is FIFO within the priority lane', () => {
    const q = new RequestQueue<string>('cpu.0');
    for (const item of ['p1', 'p2', 'p3']) q.push(item, true);
    expect(takeAll(q)).toEqual(['p1', 'p2', 'p3']);
  });

  it.each<[string, ReadonlyArray<readonly [string, boolean]>, string[]]>([
    ['priority pushed after normal', [['n1', false], ['n2', false], ['p1', true], ['p2', true]], ['p1', 'p2', 'n1', 'n2']],
    ['interleaved', [['n1', false], ['p1', true], ['n2', false], ['p2', true], ['n3', false]], ['p1', 'p2', 'n1', 'n2', 'n3']],
    ['priority first', [['p1', true], ['n1', false], ['p2', true]], ['p1', 'p2', 'n1']],
    ['normal only', [['n1', false], ['n2', false]], ['n1', 'n2']],
  ])('takes the priority lane before the normal lane (%s)', (_name, pushes, expected) => {
    const q = new RequestQueue<string>('global');
    for (const [item, priority] of pushes) q.push(item, priority);
    expect(takeAll(q)).toEqual(expected);
    expect(q.isEmpty).toBe(true);
  });

  it('serves a priority request that arrives while normal ones are being taken next', () => {
    const q = new RequestQueue<string>('cpu.1');
    q.push('n1', false);
    q.push('n2', false);
    expect(q.take()?.item).toBe('n1');
    q.push('p1', true);
    expect(q.take()?.item).toBe('p1');
    expect(q.take()?.item).toBe('n2');
    expect(q.take()).toBeUndefined();
  });

  it('reports moreThanOne when the lane it took from held more than one (the MoreThan1 statistic)', () => {
    const q = new RequestQueue<string>('cpu.0');
    q.push('n1', false);
    q.push('n2', false);
    q.push('p1', true);
    // The priority lane held one entry, even though the normal lane is not empty.
    expect(q.take()).toEqual({ item: 'p1', moreThanOne: false });
    expect(q.take()).toEqual({ item: 'n1', moreThanOne: true });
    expect(q.take()).toEqual({ item: 'n2', moreThanOne: false });
  });

  it('answers undefined on an empty queue', () => {
    const q = new RequestQueue<string>('cpu.0');
    expect(q.take()).toBeUndefined();
    expect(q.take(true)).toBeUndefined();
    expect(q.size).toBe(0);
    expect(q.isEmpty).toBe(true);
  });

  it('keeps size and isEmpty in step with pushes and takes', () => {
    const q = new RequestQueue<string>('cpu.0');
    q.push('n1', false);
    q.push('p1', true);
    expect(q.size).toBe(2);
    expect(q.isEmpty).toBe(false);
    q.take();
    expect(q.size).toBe(1);
    q.take();
    expect(q.size).toBe(0);
    expect(q.isEmpty).toBe(true);
  });
});

describe('VMR3ReqProcessU(fPriorityOnly) (RequestQueue.take(true))', () => {
  it('takes only priority requests and leaves the normal lane alone', () => {
    const q = new RequestQueue<string>('cpu.2');
    q.push('n1', false);
    q.push('p1', true);
    q.push('n2', false);
    q.push('p2', true);
    expect(takeAll(q, true)).toEqual(['p1', 'p2']);
    expect(q.size).toBe(2);
    expect([...q.normal]).toEqual(['n1', 'n2']);
    expect(takeAll(q)).toEqual(['n1', 'n2']);
  });

  it('answers undefined when only normal requests are queued', () => {
    const q = new RequestQueue<string>('cpu.2');
    q.push('n1', false);
    expect(q.take(true)).toBeUndefined();
    expect(q.size).toBe(1);
  });
});

describe('vmR3DestroyUVM sweep (RequestQueue.drain)', () => {
  it('returns the priority lane then the normal lane, each FIFO, and empties both', () => {
    const q = new RequestQueue<string>('cpu.3');
    q.push('n1', false);
    q.push('p1', true);
    q.push('n2', false);
    q.push('p2', true);
    expect(q.drain()).toEqual(['p1', 'p2', 'n1', 'n2']);
    expect(q.isEmpty).toBe(true);
    expect(q.size).toBe(0);
    expect(q.take()).toBeUndefined();
  });

  it('returns an empty list for an empty queue, and the queue is usable afterwards', () => {
    const q = new RequestQueue<string>('global');
    expect(q.drain()).toEqual([]);
    q.push('n1', false);
    expect(q.take()?.item).toBe('n1');
  });
});

describe('RequestQueue.events$', () => {
  it('emits push and take with the lane, the item and the depth after the operation', () => {
    const q = new RequestQueue<string>('cpu.0');
    const events = collect(q);
    q.push('n1', false);
    q.push('p1', true);
    q.take();
    q.take();
    expect(events).toEqual([
      { kind: 'push', lane: 'normal', item: 'n1', depth: 1 },
      { kind: 'push', lane: 'priority', item: 'p1', depth: 2 },
      { kind: 'take', lane: 'priority', item: 'p1', depth: 1 },
      { kind: 'take', lane: 'normal', item: 'n1', depth: 0 },
    ]);
  });

  it('emits nothing for a take that finds nothing', () => {
    const q = new RequestQueue<string>('cpu.0');
    const events = collect(q);
    q.push('n1', false);
    expect(q.take(true)).toBeUndefined();
    expect(q.take()?.item).toBe('n1');
    expect(q.take()).toBeUndefined();
    expect(events.map((e) => `${e.kind}:${e.item}`)).toEqual(['push:n1', 'take:n1']);
  });

  it('only reports what happens after subscription (the subject is created lazily)', () => {
    const q = new RequestQueue<string>('cpu.0');
    q.push('before', false);
    const events = collect(q);
    q.push('after', false);
    expect(events).toEqual([{ kind: 'push', lane: 'normal', item: 'after', depth: 2 }]);
  });

  it('feeds every subscriber the same events', () => {
    const q = new RequestQueue<string>('cpu.0');
    const a = collect(q);
    const b = collect(q);
    q.push('p1', true);
    q.take();
    expect(a).toHaveLength(2);
    expect(b).toEqual(a);
  });

  it('completes on complete()', () => {
    const q = new RequestQueue<string>('cpu.0');
    let completed = false;
    q.events$.subscribe({ complete: () => (completed = true) });
    q.complete();
    expect(completed).toBe(true);
  });
});

/**
 * A VM's queues while idle (empty, unwatched) are frozen, so world copies share them (VmCore.ownQueue): a push
 * takes a writable copy, the queue is shared again once the EMT empties it, and a watcher gets the VM's own for good.
 */
describe("a VM's idle queues", () => {
  it('are frozen, owned at the first push, frozen again once empty; a frozen one refuses a watcher, naming ownQueue', async () => {
    const vmm = createVMM({ seed: 1 });
    const vm = await vmm.create({ cpus: 2, config: { NumCPUs: 2 } });
    const core = vm.core;
    const idle = core.queue(1);
    expect(Object.isFrozen(idle)).toBe(true);
    expect(() => idle.events$).toThrowError(expect.objectContaining({ rc: VERR_INVALID_STATE, message: expect.stringContaining('ownQueue') }));
    expect(copyGraph(core.cpuQueues)[1]).toBe(idle); // shared, not copied
    let pushed: unknown;
    expect(await vm.reqCallWait(1, () => void (pushed = core.queue(1)))).toBe(VINF_SUCCESS);
    expect(pushed).not.toBe(idle); // the push took the VM's own queue
    expect(core.queue(1).isEmpty && Object.isFrozen(core.queue(1))).toBe(true); // emptied by the EMT: shared again
    const watched = core.ownQueue(1);
    const seen: string[] = [];
    watched.events$.subscribe((e) => seen.push(e.kind));
    expect(await vm.reqCallWait(1, () => 0)).toBe(VINF_SUCCESS);
    expect(core.queue(1)).toBe(watched); // watched: never frozen again, so the watcher sees every push and take
    expect(seen).toEqual(['push', 'take']);
    vmm.dispose();
  });
});
