/** The halt methods a scenario's `config.HaltMethod` selects (VMHALTMETHOD values), by name. */
export const METHODS = [
  ['BOOTSTRAP', 1],
  ['OLD', 3],
  ['METHOD_1', 4],
  ['GLOBAL_1', 5],
] as const;
