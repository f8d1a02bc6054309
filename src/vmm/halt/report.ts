/**
 * A short text report of a VM's halt and wake-up statistics (GVMM StatsSched and the halt method's counters),
 * as the demo prints them at the end; lines, so callers choose where they go.
 */
import type { Gvmm } from '../../gvmm/gvmm.js';
import type { StatsSched } from '../../gvmm/stats.js';
import type { VmCore } from '../vm-core.js';
import { queryHaltStats } from './state.js';

export interface GuestCounterLine {
  slices: number;
  halts: number;
  ipisSent: number;
  interruptsTaken: number;
}

const row = (label: string, pairs: [string, number][]) => `    ${label.padEnd(10)} ${pairs.map(([k, v]) => `${k} ${v}`).join(', ')}`;

export function formatHaltReport(gvmm: Gvmm, vm: VmCore, guest: readonly (GuestCounterLine | undefined)[] = []): string[] {
  const s: StatsSched = gvmm.queryStatistics(vm.handle).schedVM!;
  const halt = queryHaltStats(vm);
  const t = halt.total;
  const lines = [
    `halt / wake-up statistics of vm.${vm.handle} (halt method ${halt.method}, GVMM index '${gvmm.wakeUpIndex}')`,
    row('halt', [['calls', s.cHaltCalls], ['blocking', s.cHaltBlocking], ['timeouts', s.cHaltTimeouts], ['not blocking', s.cHaltNotBlocking], ['early wake-ups', s.cHaltWakeUps]]),
    row('wake-up', [['calls', s.cWakeUpCalls], ['not halted', s.cWakeUpNotHalted], ['early wake-ups', s.cWakeUpWakeUps]]),
    row('poke', [['calls', s.cPokeCalls], ['not busy', s.cPokeNotBusy]]),
    row('poll', [['calls', s.cPollCalls], ['wake-ups', s.cPollWakeUps]]),
    row('EMTs', [['halts', t.cHalts], ['idle waits', t.cWaits], ['spins', t.cSpins], ['blocks', t.cBlocks], ['timer ends', t.cTimerExpiries], ['notified', t.cNotifies], ['woken', t.cNotifyWakeUps], ['poked', t.cNotifyPokes]]),
  ];
  guest.forEach((g, cpu) => {
    if (g) lines.push(row(`cpu.${cpu}`, [['slices', g.slices], ['halts', g.halts], ['IPIs sent', g.ipisSent], ['interrupts taken', g.interruptsTaken]]));
  });
  return lines;
}
