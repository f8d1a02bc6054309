/**
 * GVMMSCHEDSTATS (vbox-facts.md §9.3): the scheduler counters kept per VM, summed over the live VMs by
 * GVMMR0QueryStatistics, and reset field by field by GVMMR0ResetStatistics.
 */
export const STATS_SCHED_FIELDS = [
  'cHaltCalls', 'cHaltBlocking', 'cHaltTimeouts', 'cHaltNotBlocking', 'cHaltWakeUps',
  'cWakeUpCalls', 'cWakeUpNotHalted', 'cWakeUpWakeUps',
  'cPokeCalls', 'cPokeNotBusy',
  'cPollCalls', 'cPollHalts', 'cPollWakeUps',
] as const;

export type StatsSchedField = (typeof STATS_SCHED_FIELDS)[number];
export type StatsSched = Record<StatsSchedField, number>;

/** A literal rather than built from the field list (every VM makes one); the type checks it against the list. */
export function zeroStatsSched(): StatsSched {
  return {
    cHaltCalls: 0, cHaltBlocking: 0, cHaltTimeouts: 0, cHaltNotBlocking: 0, cHaltWakeUps: 0,
    cWakeUpCalls: 0, cWakeUpNotHalted: 0, cWakeUpWakeUps: 0,
    cPokeCalls: 0, cPokeNotBusy: 0,
    cPollCalls: 0, cPollHalts: 0, cPollWakeUps: 0,
  };
}

export function addStatsSched(into: StatsSched, from: Readonly<StatsSched>): StatsSched {
  for (const f of STATS_SCHED_FIELDS) into[f] += from[f];
  return into;
}

/** GVMMR0ResetStatistics: a field is reset when the template has it non-zero. */
export function resetStatsSched(stats: StatsSched, template: Partial<StatsSched>): void {
  for (const f of STATS_SCHED_FIELDS) if (template[f]) stats[f] = 0;
}
