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

export function zeroStatsSched(): StatsSched {
  return Object.fromEntries(STATS_SCHED_FIELDS.map((f) => [f, 0])) as StatsSched;
}

export function addStatsSched(into: StatsSched, from: Readonly<StatsSched>): StatsSched {
  for (const f of STATS_SCHED_FIELDS) into[f] += from[f];
  return into;
}

/** GVMMR0ResetStatistics: a field is reset when the template has it non-zero. */
export function resetStatsSched(stats: StatsSched, template: Partial<StatsSched>): void {
  for (const f of STATS_SCHED_FIELDS) if (template[f]) stats[f] = 0;
}
