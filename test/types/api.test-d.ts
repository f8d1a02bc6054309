/**
 * Type tests (checked by `npm run typecheck`, which covers test/; vitest does not run this file). Goal: the
 * public API's types catch what the runtime would refuse or get wrong: reqCall / reqCallWait arguments typed
 * from the callback's parameters, and `Scenario` the input form users write (ScenarioSpec the parsed one).
 * Each `@ts-expect-error` fails the typecheck if the line below it compiles.
 */
import { expectTypeOf } from 'vitest';
import type { EmtContext, VM } from '../../src/index.js';
import { explore, parseScenario, type Scenario, type ScenarioSpec } from '../../src/check/index.js';

declare const vm: VM;

// reqCallWait(cpu, fn, ...args): args follow fn's parameters.
void vm.reqCallWait(0, (_ctx, a: string) => void a, 'x');
void vm.reqCallWait('any', (_ctx, a: number, b: boolean) => (b ? a : 0), 42, true);
void vm.reqCallWait(0, (ctx: EmtContext) => ctx.cpu);
// @ts-expect-error a number where fn takes a string
void vm.reqCallWait(0, (_ctx, a: string) => void a, 42);
// @ts-expect-error a missing argument
void vm.reqCallWait(0, (_ctx, a: string, b: string) => void (a + b), 'x');
// @ts-expect-error an extra argument fn does not take
void vm.reqCallWait(0, (_ctx, a: string) => void a, 'x', 'y');
// reqCall: the same, after the options.
void vm.reqCall({ target: 1, timeoutMs: 10 }, (_ctx, n: number) => n, 7);
// @ts-expect-error a string where fn takes a number
void vm.reqCall({ target: 1 }, (_ctx, n: number) => n, '7');
expectTypeOf(vm.reqCallWait(0, () => 0)).toEqualTypeOf<Promise<number>>();

// Scenario is what users write (short call names, defaults left out); ScenarioSpec is what parseScenario returns.
const race: Scenario = { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] };
const halting: Scenario = { cpus: 1, halt: 'on', config: { HaltMethod: 'METHOD_1' }, clients: [['powerOn']] };
void explore(race);
void explore(halting);
expectTypeOf(parseScenario(race)).toEqualTypeOf<ScenarioSpec>();
expectTypeOf<ScenarioSpec['clients'][number]>().toHaveProperty('calls');
// @ts-expect-error the parsed form wants its defaults filled in: a user's literal is not a ScenarioSpec
const notParsed: ScenarioSpec = { cpus: 2, clients: [['powerOn']] };
void notParsed;
