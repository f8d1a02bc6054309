/**
 * EMT rendezvous at run time: VMMR3EmtRendezvous called from outside the VM (vbox-facts.md §6.3–§6.6).
 *
 * Goal: the observable contract of a rendezvous on real EMT actors: the order callbacks run in per type,
 * STOP_ON_ERROR, the status the caller gets, recursion and its limits, the forwarding through a VMCPUID_ANY
 * request (priority lane with PRIORITY), serialisation of concurrent rendezvous, and flag checks.
 *
 * Method: table-driven over type × vCPU count (1, 2, 3, 4, 8) × scheduler seed (1..5). Every run uses the
 * deterministic scheduler with virtual time, so a failing row names its seed and replays exactly. Callbacks
 * record `ctx.cpu`; traces come from `vm.events$` and the global queue's `events$`. No sleeps, no host time.
 */
import { describe, expect, it } from 'vitest';
import { rendezvousFlags, type RendezvousType } from '../../machines/rendezvous.js';
import { createVMM, VMREQFLAGS_PRIORITY, type RendezvousOptions, type VM, type VmmOptions, type VmTraceEvent } from '../../src/index.js';
import {
  VBoxError, VERR_DEADLOCK, VERR_INVALID_FLAGS, VERR_IPE_UNEXPECTED_INFO_STATUS, VERR_VM_INVALID_VM_STATE,
  VERR_VM_UNEXPECTED_VM_STATE, VINF_EM_OFF, VINF_EM_PENDING_REQUEST, VINF_EM_RESET, VINF_EM_SUSPEND, VINF_SUCCESS,
} from '../../src/status.js';
import { emtRendezvous, type EmtResult, type RendezvousCallback } from '../../src/vmm/types.js';

type Type = RendezvousOptions['type'];

const TYPES: readonly Type[] = ['one-by-one', 'all-at-once', 'once', 'ascending', 'descending'];
const CPUS = [1, 2, 3, 4, 8] as const;
const SEEDS = [1, 2, 3, 4, 5] as const;
/** Types that may start a nested rendezvous from their callback (§6.6). */
const RECURSIVE: readonly Type[] = ['one-by-one', 'once', 'ascending', 'descending'];

const DESCENDING = rendezvousFlags('descending');

/** Every combination of the given tables, as objects for `it.each`. */
function grid<T extends Record<string, readonly unknown[]>>(axes: T): { [K in keyof T]: T[K][number] }[] {
  return Object.entries(axes).reduce<Record<string, unknown>[]>(
    (rows, [key, values]) => rows.flatMap((row) => values.map((value) => ({ ...row, [key]: value }))),
    [{}],
  ) as { [K in keyof T]: T[K][number] }[];
}

/** A fresh engine with one VM of `cpus` vCPUs (state CREATED); the engine is disposed afterwards. */
async function withVm<T>(cpus: number, options: VmmOptions, body: (vm: VM) => Promise<T>): Promise<T> {
  const vmm = createVMM(options);
  try {
    const vm = await vmm.create({ cpus });
    return await body(vm);
  } finally {
    vmm.dispose();
  }
}

/**
 * VMMR3EmtRendezvous from a non-EMT with a callback that may block (return an EmtBlock): the same forwarding
 * as `vm.emtRendezvous` (a VMCPUID_ANY request whose worker starts the rendezvous), with raw flags.
 */
function rendezvousFromOutside(vm: VM, flags: number, callback: RendezvousCallback): Promise<number> {
  return vm.reqCallWait('any', () => emtRendezvous(flags, callback));
}

/** The promise rejects with a VBoxError carrying exactly `rc`. */
async function expectStatus(promise: Promise<number>, rc: number): Promise<void> {
  if (rc >= 0) {
    await expect(promise).resolves.toBe(rc);
    return;
  }
  const error = await promise.then(
    (value) => new Error(`resolved with ${value}, expected rejection with ${rc}`),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(VBoxError);
  expect((error as VBoxError).rc).toBe(rc);
}

/** Record the VM's trace while `body` runs. */
async function traced<T>(vm: VM, body: () => Promise<T>): Promise<{ result: T; events: VmTraceEvent[] }> {
  const events: VmTraceEvent[] = [];
  const subscription = vm.events$.subscribe((event) => events.push(event));
  try {
    return { result: await body(), events };
  } finally {
    subscription.unsubscribe();
  }
}

type RendezvousTrace = Extract<VmTraceEvent, { kind: 'rendezvous' }>;
const rendezvousEvents = (events: VmTraceEvent[]) => events.filter((e): e is RendezvousTrace => e.kind === 'rendezvous');

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sorted = (cpus: readonly number[]) => [...cpus].sort((a, b) => a - b);

describe('VMMR3EmtRendezvous: callback order by type (§6.1, §6.4)', () => {
  it.each(grid({ type: TYPES, cpus: CPUS, seed: SEEDS }))('$type on $cpus vCPUs, seed $seed', async ({ type, cpus, seed }) => {
    await withVm(cpus, { seed }, async (vm) => {
      const order: number[] = [];
      const { result, events } = await traced(vm, () => vm.emtRendezvous({ type }, ({ cpu }) => void order.push(cpu)));
      expect(result).toBe(VINF_SUCCESS);
      switch (type) {
        case 'ascending':
          expect(order).toEqual(range(cpus));
          break;
        case 'descending':
          expect(order).toEqual(range(cpus).reverse());
          break;
        case 'once':
          expect(order).toHaveLength(1);
          expect(order[0]).toBeGreaterThanOrEqual(0);
          expect(order[0]).toBeLessThan(cpus);
          break;
        case 'one-by-one':
        case 'all-at-once':
          expect(sorted(order)).toEqual(range(cpus));
          break;
      }
      if (cpus > 1 && (type === 'one-by-one' || type === 'once')) {
        // The last EMT to arrive runs the callback at once (ONE_BY_ONE first, ONCE only).
        const entries = rendezvousEvents(events).filter((e) => e.event === 'enter');
        expect(entries).toHaveLength(cpus);
        expect(order[0]).toBe(entries[cpus - 1]!.cpu);
      }
    });
  });

  it.each([3, 4, 8])('ONE_BY_ONE on %i vCPUs: the order is a scheduler choice (several across seeds, same per seed)', async (cpus) => {
    const runOnce = (seed: number) =>
      withVm(cpus, { seed }, async (vm) => {
        const order: number[] = [];
        await vm.emtRendezvous({ type: 'one-by-one' }, ({ cpu }) => void order.push(cpu));
        return order.join(',');
      });
    const orders: string[] = [];
    for (const seed of SEEDS) orders.push(await runOnce(seed));
    expect(new Set(orders).size).toBeGreaterThan(1);
    // Replaying a seed gives the same order.
    for (const [i, seed] of SEEDS.entries()) expect(await runOnce(seed)).toBe(orders[i]);
  });

  it.each(CPUS)('policy "first" on %i vCPUs is deterministic for every type', async (cpus) => {
    for (const type of TYPES) {
      const runOnce = () =>
        withVm(cpus, { policy: { kind: 'first' } }, async (vm) => {
          const order: number[] = [];
          await vm.emtRendezvous({ type }, ({ cpu }) => void order.push(cpu));
          return order;
        });
      expect(await runOnce()).toEqual(await runOnce());
    }
  });
});

describe('VMMR3EmtRendezvous: STOP_ON_ERROR (§6.4 Callback)', () => {
  it.each(grid({ cpus: CPUS, seed: SEEDS }))(
    'DESCENDING|STOP_ON_ERROR on $cpus vCPUs, seed $seed: EMT(n-1) fails, nobody else runs',
    async ({ cpus, seed }) => {
      await withVm(cpus, { seed }, async (vm) => {
        const ran: number[] = [];
        const rendezvous = vm.emtRendezvous({ type: 'descending', stopOnError: true }, ({ cpu }) => {
          ran.push(cpu);
          return cpu === cpus - 1 ? VERR_VM_INVALID_VM_STATE : VINF_SUCCESS;
        });
        await expectStatus(rendezvous, VERR_VM_INVALID_VM_STATE);
        expect(ran).toEqual([cpus - 1]);
      });
    },
  );

  it.each(grid({ type: ['one-by-one', 'ascending', 'descending'] as const, cpus: CPUS, seed: SEEDS }))(
    '$type|STOP_ON_ERROR on $cpus vCPUs, seed $seed: only the first runner runs when every callback fails',
    async ({ type, cpus, seed }) => {
      await withVm(cpus, { seed }, async (vm) => {
        const ran: number[] = [];
        const rendezvous = vm.emtRendezvous({ type, stopOnError: true }, ({ cpu }) => {
          ran.push(cpu);
          return VERR_VM_INVALID_VM_STATE;
        });
        await expectStatus(rendezvous, VERR_VM_INVALID_VM_STATE);
        expect(ran).toHaveLength(1);
        if (type === 'ascending') expect(ran).toEqual([0]);
        if (type === 'descending') expect(ran).toEqual([cpus - 1]);
      });
    },
  );

  it.each(grid({ cpus: CPUS, seed: SEEDS }))(
    'DESCENDING without STOP_ON_ERROR on $cpus vCPUs, seed $seed: every EMT runs, the first failure wins',
    async ({ cpus, seed }) => {
      await withVm(cpus, { seed }, async (vm) => {
        const ran: number[] = [];
        // The later failures are numerically lower (-1915 < -1907): "lowest wins" would pick them.
        const rendezvous = vm.emtRendezvous({ type: 'descending' }, ({ cpu }) => {
          ran.push(cpu);
          return cpu === cpus - 1 ? VERR_VM_INVALID_VM_STATE : VERR_VM_UNEXPECTED_VM_STATE;
        });
        await expectStatus(rendezvous, VERR_VM_INVALID_VM_STATE);
        expect(ran).toEqual(range(cpus).reverse());
      });
    },
  );
});

describe('VMMR3EmtRendezvous: the status the caller gets (§6.4, §6.5)', () => {
  const MERGING = TYPES.filter((type) => type !== 'once');
  /** What each EMT returns: SUSPEND, RESET, OFF, success, … */
  const EM_CODES = [VINF_EM_SUSPEND, VINF_EM_RESET, VINF_EM_OFF, VINF_SUCCESS, VINF_EM_RESET, VINF_EM_SUSPEND, VINF_EM_OFF, VINF_SUCCESS];
  /** The lowest EM code among EMTs 0..n-1: OFF (1109) once EMT 2 exists, SUSPEND (1110) before. */
  const lowestEmCode = (cpus: number) => (cpus >= 3 ? VINF_EM_OFF : VINF_EM_SUSPEND);

  it.each(grid({ type: MERGING, cpus: CPUS, seed: SEEDS }))(
    '$type on $cpus vCPUs, seed $seed: SUSPEND/RESET/OFF from different EMTs give the lowest',
    async ({ type, cpus, seed }) => {
      await withVm(cpus, { seed }, async (vm) => {
        await expectStatus(vm.emtRendezvous({ type }, ({ cpu }) => EM_CODES[cpu]), lowestEmCode(cpus));
      });
    },
  );

  it.each(grid({ type: MERGING, cpus: CPUS, seed: SEEDS }))(
    '$type on $cpus vCPUs, seed $seed: a failure on EMT 0 plus OFF elsewhere gives the failure',
    async ({ type, cpus, seed }) => {
      await withVm(cpus, { seed }, async (vm) => {
        const rendezvous = vm.emtRendezvous({ type }, ({ cpu }) => (cpu === 0 ? VERR_VM_INVALID_VM_STATE : VINF_EM_OFF));
        await expectStatus(rendezvous, VERR_VM_INVALID_VM_STATE);
      });
    },
  );

  it.each(grid({ cpus: CPUS, seed: SEEDS }))('ONCE on $cpus vCPUs, seed $seed: the one callback status is returned', async ({ cpus, seed }) => {
    await withVm(cpus, { seed }, async (vm) => {
      await expectStatus(vm.emtRendezvous({ type: 'once' }, () => VINF_EM_RESET), VINF_EM_RESET);
    });
  });

  it.each(grid({ type: TYPES, cpus: CPUS }))(
    '$type on $cpus vCPUs: an informational status outside VINF_EM_FIRST..LAST is VERR_IPE_UNEXPECTED_INFO_STATUS',
    async ({ type, cpus }) => {
      await withVm(cpus, { seed: 1 }, async (vm) => {
        await expectStatus(vm.emtRendezvous({ type }, () => VINF_EM_PENDING_REQUEST), VERR_IPE_UNEXPECTED_INFO_STATUS);
      });
    },
  );
});

describe('vmmR3EmtRendezvousRecursive: a rendezvous from inside a callback (§6.6)', () => {
  it.each(grid({ nested: TYPES, cpus: CPUS, seed: [1, 2, 3] }))(
    'DESCENDING parent, $nested child from the first EMT, $cpus vCPUs, seed $seed',
    async ({ nested, cpus, seed }) => {
      await withVm(cpus, { seed }, async (vm) => {
        const log: string[] = [];
        let nestedRc: number | undefined;
        const child: RendezvousCallback = ({ cpu }) => {
          log.push(`child.${cpu}`);
          return VINF_EM_SUSPEND;
        };
        const parent: RendezvousCallback = ({ cpu }): EmtResult => {
          log.push(`parent.${cpu}`);
          if (cpu !== cpus - 1) return VINF_SUCCESS;
          return emtRendezvous(rendezvousFlags(nested), child, (rc) => {
            nestedRc = rc;
            log.push(`then.${cpu}`);
            return rc;
          });
        };
        // The parent's callback on EMT(n-1) passes the nested status on, so the caller gets it either way.
        await expectStatus(rendezvousFromOutside(vm, DESCENDING, parent), VINF_EM_SUSPEND);
        expect(nestedRc).toBe(VINF_EM_SUSPEND);

        // parent.(n-1), the whole child rendezvous, then.(n-1), then the parent goes on with n-2..0.
        const first = cpus - 1;
        const childRuns = log.slice(1, log.indexOf(`then.${first}`));
        expect(log[0]).toBe(`parent.${first}`);
        expect(log.slice(log.indexOf(`then.${first}`) + 1)).toEqual(range(first).reverse().map((cpu) => `parent.${cpu}`));
        const childCpus = childRuns.map((entry) => Number(entry.split('.')[1]));
        expect(childRuns.every((entry) => entry.startsWith('child.'))).toBe(true);
        switch (nested) {
          case 'ascending':
            expect(childCpus).toEqual(range(cpus));
            break;
          case 'descending':
            expect(childCpus).toEqual(range(cpus).reverse());
            break;
          case 'once':
            expect(childCpus).toHaveLength(1);
            break;
          default:
            expect(sorted(childCpus)).toEqual(range(cpus));
        }
      });
    },
  );

  it.each(grid({ parent: RECURSIVE, cpus: CPUS, seed: [1, 2, 3] }))(
    '$parent parent, DESCENDING child from its first runner, $cpus vCPUs, seed $seed: both complete',
    async ({ parent, cpus, seed }) => {
      await withVm(cpus, { seed }, async (vm) => {
        const parentRuns: number[] = [];
        const childRuns: number[] = [];
        const callback: RendezvousCallback = ({ cpu }) => {
          parentRuns.push(cpu);
          if (parentRuns.length > 1) return VINF_SUCCESS;
          return emtRendezvous(DESCENDING, ({ cpu: child }) => void childRuns.push(child), (rc) => rc);
        };
        await expectStatus(rendezvousFromOutside(vm, rendezvousFlags(parent), callback), VINF_SUCCESS);
        expect(childRuns).toEqual(range(cpus).reverse());
        if (parent === 'once') expect(parentRuns).toHaveLength(1);
        else expect(sorted(parentRuns)).toEqual(range(cpus));
      });
    },
  );

  /** A DESCENDING rendezvous whose first EMT nests one level deeper, up to level 4; records each nested status. */
  function nestingChain(runs: number[][], nestedRc: Map<number, number>, deepest: number): (level: number) => RendezvousCallback {
    const level = (depth: number): RendezvousCallback => ({ vm, cpu }) => {
      runs[depth]!.push(cpu);
      if (cpu !== vm.cCpus - 1 || depth === deepest) return VINF_SUCCESS;
      return emtRendezvous(DESCENDING, level(depth + 1), (rc) => {
        nestedRc.set(depth + 1, rc);
        return VINF_SUCCESS;
      });
    };
    return level;
  }

  // One vCPU is left out: see the engine report (the direct path does not track fInRendezvous).
  it.each(grid({ cpus: [2, 3, 4, 8] as const, seed: SEEDS }))(
    'nesting 3 levels works and the 4th gets VERR_DEADLOCK, $cpus vCPUs, seed $seed',
    async ({ cpus, seed }) => {
      await withVm(cpus, { seed }, async (vm) => {
        const runs = range(5).map((): number[] => []);
        const nestedRc = new Map<number, number>();
        const level = nestingChain(runs, nestedRc, 4);
        await expectStatus(rendezvousFromOutside(vm, DESCENDING, level(0)), VINF_SUCCESS);
        expect([...nestedRc.entries()].sort(([a], [b]) => a - b)).toEqual([
          [1, VINF_SUCCESS],
          [2, VINF_SUCCESS],
          [3, VINF_SUCCESS],
          [4, VERR_DEADLOCK],
        ]);
        // Levels 0..3 ran on every EMT in descending order; level 4 never started.
        for (const depth of [0, 1, 2, 3]) expect(runs[depth]).toEqual(range(cpus).reverse());
        expect(runs[4]).toEqual([]);
      });
    },
  );

  it.each(SEEDS)('one vCPU, seed %i: nesting 3 levels works (direct path)', async (seed) => {
    await withVm(1, { seed }, async (vm) => {
      const runs = range(4).map((): number[] => []);
      const nestedRc = new Map<number, number>();
      await expectStatus(rendezvousFromOutside(vm, DESCENDING, nestingChain(runs, nestedRc, 3)(0)), VINF_SUCCESS);
      expect([...nestedRc.values()]).toEqual([VINF_SUCCESS, VINF_SUCCESS, VINF_SUCCESS]);
      expect(runs).toEqual([[0], [0], [0], [0]]);
    });
  });

  // One vCPU is left out: see the engine report.
  it.each(grid({ cpus: [2, 3, 4, 8] as const, seed: SEEDS }))(
    'a rendezvous from inside ALL_AT_ONCE gets VERR_DEADLOCK, $cpus vCPUs, seed $seed',
    async ({ cpus, seed }) => {
      await withVm(cpus, { seed }, async (vm) => {
        const parentRuns: number[] = [];
        let childRuns = 0;
        let nestedRc: number | undefined;
        const callback: RendezvousCallback = ({ cpu }) => {
          parentRuns.push(cpu);
          if (cpu !== 0) return VINF_SUCCESS;
          return emtRendezvous(DESCENDING, () => void childRuns++, (rc) => {
            nestedRc = rc;
            return rc;
          });
        };
        await expectStatus(rendezvousFromOutside(vm, rendezvousFlags('all-at-once'), callback), VERR_DEADLOCK);
        expect(nestedRc).toBe(VERR_DEADLOCK);
        expect(childRuns).toBe(0);
        expect(sorted(parentRuns)).toEqual(range(cpus));
      });
    },
  );
});

describe('VMMR3EmtRendezvous from a non-EMT: forwarded with VMR3ReqCallWait(VMCPUID_ANY) (§6.3 step 1)', () => {
  it.each(grid({ cpus: CPUS, priority: [false, true] }))(
    '$cpus vCPUs, priority $priority: an "any" request is queued before the rendezvous begins',
    async ({ cpus, priority }) => {
      await withVm(cpus, { seed: 1 }, async (vm) => {
        const { result, events } = await traced(vm, () => vm.emtRendezvous({ type: 'descending', priority }, () => VINF_SUCCESS));
        expect(result).toBe(VINF_SUCCESS);
        const queued = events.findIndex((e) => e.kind === 'request' && e.to === 'QUEUED');
        const processing = events.findIndex((e) => e.kind === 'request' && e.to === 'PROCESSING');
        const completed = events.findIndex((e) => e.kind === 'request' && e.to === 'COMPLETED');
        const firstRendezvous = events.findIndex((e) => e.kind === 'rendezvous');
        expect(queued).toBeGreaterThanOrEqual(0);
        expect(events[queued]).toMatchObject({ kind: 'request', target: 'any', cpu: null });
        expect(processing).toBeGreaterThan(queued);
        expect(completed).toBeGreaterThan(processing);
        if (cpus === 1) {
          // One CPU: the EMT that took the request calls the callback directly, no rendezvous object.
          expect(firstRendezvous).toBe(-1);
        } else {
          expect(firstRendezvous).toBeGreaterThan(processing);
          expect(firstRendezvous).toBeLessThan(completed);
          expect(events[firstRendezvous]).toMatchObject({ kind: 'rendezvous', event: 'begin', from: 'idle', to: 'entering' });
        }
      });
    },
  );

  it.each(grid({ cpus: CPUS, priority: [false, true] }))(
    '$cpus vCPUs, priority $priority: PRIORITY puts the request on the priority lane (VMR3ReqPriorityCallWait)',
    async ({ cpus, priority }) => {
      await withVm(cpus, { seed: 1 }, async (vm) => {
        const pushes: { lane: string; flags: number; target: unknown }[] = [];
        const subscription = vm.core.ownQueue(null).events$.subscribe((e) => {
          if (e.kind === 'push') pushes.push({ lane: e.lane, flags: e.item.flags, target: e.item.target });
        });
        try {
          await expectStatus(vm.emtRendezvous({ type: 'descending', priority }, () => VINF_SUCCESS), VINF_SUCCESS);
        } finally {
          subscription.unsubscribe();
        }
        expect(pushes).toEqual([
          priority
            ? { lane: 'priority', flags: VMREQFLAGS_PRIORITY, target: 'any' }
            : { lane: 'normal', flags: 0, target: 'any' },
        ]);
        expect(VMREQFLAGS_PRIORITY).toBe(8);
      });
    },
  );
});

describe('VMMR3EmtRendezvous: u32RendezvousLock serialises concurrent callers (§6.3 step 3)', () => {
  it.each(grid({ type: TYPES, cpus: CPUS, seed: SEEDS }))(
    'two $type rendezvous at once on $cpus vCPUs, seed $seed: both complete, never overlapping',
    async ({ type, cpus, seed }) => {
      await withVm(cpus, { seed }, async (vm) => {
        const log: string[] = [];
        let inside = 0;
        const callback = (tag: string) => ({ cpu }: { cpu: number }) => {
          inside++;
          log.push(`enter.${tag}.${cpu}`);
          expect(inside).toBe(1);
          log.push(`exit.${tag}.${cpu}`);
          inside--;
        };
        const { result, events } = await traced(vm, () =>
          Promise.all([vm.emtRendezvous({ type }, callback('a')), vm.emtRendezvous({ type }, callback('b'))]),
        );
        expect(result).toEqual([VINF_SUCCESS, VINF_SUCCESS]);

        // Each rendezvous' callbacks form one block: all of a, then all of b, or the other way round.
        const tags = log.filter((entry) => entry.startsWith('enter.')).map((entry) => entry.split('.')[1]);
        const runs = type === 'once' ? 1 : cpus;
        expect(tags).toHaveLength(2 * runs);
        expect(new Set(tags.slice(0, runs)).size).toBe(1);
        expect(new Set(tags.slice(runs)).size).toBe(1);
        expect(tags[0]).not.toBe(tags[runs]);

        // The rendezvous objects themselves never interleave: begin … finish of one, then of the other.
        const ids = rendezvousEvents(events).map((e) => e.id);
        const blocks = ids.filter((id, i) => i === 0 || ids[i - 1] !== id);
        expect(blocks).toEqual([...new Set(ids)]);
        expect(blocks).toHaveLength(cpus === 1 ? 0 : 2);
      });
    },
  );
});

describe('VMMR3EmtRendezvous: flag checks', () => {
  const INVALID: readonly { name: string; flags: number }[] = [
    { name: 'type 0 (TYPE_INVALID)', flags: 0 },
    { name: 'type 6', flags: 6 },
    { name: 'type 7', flags: 7 },
    { name: 'ONCE|STOP_ON_ERROR', flags: rendezvousFlags('once', { stopOnError: true }) },
    { name: 'ALL_AT_ONCE|STOP_ON_ERROR', flags: rendezvousFlags('all-at-once', { stopOnError: true }) },
    { name: 'DESCENDING with a bit outside VALID_MASK', flags: DESCENDING | 0x20 },
  ];

  it.each(grid({ bad: INVALID, cpus: [1, 2, 4] as const }))('$bad.name on $cpus vCPUs: VERR_INVALID_FLAGS', async ({ bad, cpus }) => {
    await withVm(cpus, { seed: 1 }, async (vm) => {
      let runs = 0;
      await expectStatus(rendezvousFromOutside(vm, bad.flags, () => void runs++), VERR_INVALID_FLAGS);
      expect(runs).toBe(0);
    });
  });

  const FACADE: readonly { name: string; options: RendezvousOptions }[] = [
    // The facade's type excludes 'invalid'; only a cast gets it through.
    { name: 'type invalid', options: { type: 'invalid' as RendezvousType as Type } },
    { name: 'ONCE with stopOnError', options: { type: 'once', stopOnError: true } },
    { name: 'ALL_AT_ONCE with stopOnError', options: { type: 'all-at-once', stopOnError: true } },
  ];

  it.each(grid({ bad: FACADE, cpus: [1, 2, 4] as const }))('vm.emtRendezvous $bad.name on $cpus vCPUs: VERR_INVALID_FLAGS', async ({ bad, cpus }) => {
    await withVm(cpus, { seed: 1 }, async (vm) => {
      let runs = 0;
      await expectStatus(vm.emtRendezvous(bad.options, () => void runs++), VERR_INVALID_FLAGS);
      expect(runs).toBe(0);
    });
  });
});
