/**
 * `vmm-actors check <scenario.json>`: explore every interleaving of a scenario file, with progress on stderr
 * (check-progress.ts), a summary table, the counterexample trace written on a violation (`--trace-out`, default
 * `<scenario>.trace.jsonl`). Exit codes (../exit-code.ts): 1 when a property fails, 3 when a bound (states,
 * depth, time: DEFAULT_TIME_LIMIT_S unless given) stopped the search first. `--audit-key` audits the state key
 * instead (src/check/key-audit.ts): 1 when two states with different futures share a key, 3 when bounded.
 */
import { writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { explore, formatSummary, formatViolation, parseScenarioText, type ExploreMode, type ExploreOptions } from '../../check/index.js';
import { CPUS_MAX, CPUS_MAX_SAMPLING } from '../../check/scenario.js';
import { disablePretenuring } from '../../check/gc-tuning.js';
import { auditStateKey, formatKeyAudit } from '../../check/key-audit.js';
import { VBoxError } from '../../status.js';
import { CliError, EXIT_CODES_HELP, ExitCode } from '../exit-code.js';
import { readInputFile } from '../input-file.js';
import { progressReporter } from './check-progress.js';
import { parseInteger, parseSeconds } from './options.js';

/** `check` stops after this many seconds unless --time-limit says otherwise (0: no limit). */
export const DEFAULT_TIME_LIMIT_S = 300;

interface CheckOptions {
  mode: string;
  strategy?: string;
  iterations?: number;
  pctDepth?: number;
  maxStates?: number;
  maxDepth?: number;
  timeLimit: number;
  por: boolean;
  symmetry: boolean;
  liveness: boolean;
  seed?: number;
  walks?: number;
  workers?: number;
  pretenuring?: boolean;
  thread?: boolean;
  provisoRebuilds?: boolean;
  verifyOwnership?: boolean;
  traceOut?: string;
  quiet?: boolean;
  auditKey?: number | true;
  auditLanes?: number;
  checkpoint?: string;
  checkpointEvery?: number;
  resume?: string;
  json?: boolean;
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('model-check a scenario: every interleaving of its clients and the EMTs, over the engine itself')
    .argument('<scenario>', 'scenario file (JSON): { "cpus": 2, "clients": [["powerOn", "suspend"], ["powerOff"]] }')
    .option('--mode <mode>', 'bfs (shortest counterexample) | dfs | random | pct | portfolio', 'bfs')
    .option('--strategy <mode>', 'the same as --mode')
    .option('--max-states <n>', 'stop after this many states (the verdict is then "bounded")', parseInteger)
    .option('--max-depth <n>', 'do not expand states deeper than this', parseInteger)
    .option('--time-limit <s>', 'stop after this many seconds, fractions allowed; 0: no limit (the verdict is then "bounded")', parseSeconds, DEFAULT_TIME_LIMIT_S)
    .option('--no-por', 'switch partial-order reduction off')
    .option('--no-symmetry', 'switch vCPU symmetry reduction off')
    .option('--no-liveness', 'skip the fair-cycle (liveness) analysis')
    .option('--seed <n>', 'random mode: seed', parseInteger)
    .option('--walks <n>', 'random, pct and portfolio modes: number of runs', parseInteger)
    .option('--iterations <n>', 'the same as --walks', parseInteger)
    .option('--pct-depth <d>', "pct mode: the bug depth d (d - 1 priority change points per run; default 3)", parseInteger)
    .option('--workers <n>', 'breadth-first on n worker threads (same states and verdict; default 1)', parseInteger)
    .option('--proviso-rebuilds', 'depth-first, reductions on: copy a reduced state ahead only where cheaper than replaying it when the cycle proviso asks (replays a little)')
    .option('--verify-ownership', 'breadth- and depth-first: refuse a world copy that meets an object declared owned (ClassSpec.owned) twice')
    .option('--pretenuring', "keep V8's allocation-site pretenuring (switched off while checking: about 2x faster)")
    .option('--thread', 'search on a worker thread of its own with a 512 MB young generation: same result; about twice the peak memory, pays on long runs (a third less CPU on race N = 6 warm), little on short cold ones')
    .option('--trace-out <file>', 'where to write the counterexample (default: <scenario>.trace.jsonl)')
    .option('--quiet', 'no live progress line; a plain one on stderr every 10 s still says a long check is alive')
    .option('--checkpoint <dir>', 'breadth-first: write the search to <dir>/checkpoint.bin now and then (and when the time limit stops it)')
    .option('--checkpoint-every <s>', 'with --checkpoint: seconds between checkpoints, fractions allowed (60)', parseSeconds)
    .option('--resume <dir>', 'continue the search saved in <dir> (same scenario and options); keeps checkpointing there unless --checkpoint says where')
    .option('--json', 'print the result as JSON instead of the summary table')
    .option('--audit-key [depth]', 'audit the state key instead: states merged by key must have the same futures, depth steps deep (2)', parseInteger)
    .option('--audit-lanes <n>', 'with --audit-key: runs followed to their end from both states of each merge (1)', parseInteger)
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .action(async (file: string, opts: CheckOptions) => {
      const mode = opts.strategy ?? opts.mode;
      if (!isMode(mode)) throw new InvalidArgumentError('--mode must be bfs, dfs, random, pct or portfolio');
      const sampling = mode === 'pct' || mode === 'portfolio';
      const scenario = parseScenarioText(readInputFile(file, 'scenario'), file, sampling ? CPUS_MAX_SAMPLING : CPUS_MAX);
      if (!opts.pretenuring) disablePretenuring();
      if (opts.auditKey !== undefined) {
        const audit = auditStateKey(scenario, {
          symmetry: opts.symmetry,
          ...(opts.auditKey !== true ? { depth: opts.auditKey } : {}),
          ...(opts.auditLanes !== undefined ? { lanes: opts.auditLanes } : {}),
          ...(opts.maxStates !== undefined ? { maxStates: opts.maxStates } : {}),
        });
        console.log(formatKeyAudit(audit));
        process.exitCode = audit.mismatches.length > 0 ? ExitCode.Violation : audit.bounded ? ExitCode.Inconclusive : ExitCode.Ok;
        return;
      }
      const progress = progressReporter({ tty: process.stderr.isTTY === true, quiet: opts.quiet ?? false, write: (t) => process.stderr.write(t) });
      const options: ExploreOptions = {
        mode,
        por: opts.por,
        symmetry: opts.symmetry,
        liveness: opts.liveness,
        ...(opts.maxStates !== undefined ? { maxStates: opts.maxStates } : {}),
        ...(opts.maxDepth !== undefined ? { maxDepth: opts.maxDepth } : {}),
        ...(opts.timeLimit > 0 ? { timeLimitMs: opts.timeLimit * 1000 } : {}),
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ...((opts.iterations ?? opts.walks) !== undefined ? { walks: opts.iterations ?? opts.walks! } : {}),
        ...(opts.pctDepth !== undefined ? { pctDepth: opts.pctDepth } : {}),
        ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
        ...(opts.provisoRebuilds ? { provisoRebuilds: true } : {}),
        ...(opts.verifyOwnership ? { verifyOwnership: true } : {}),
        ...(opts.thread ? { thread: true } : {}),
        ...checkpointOptions(opts),
        onProgress: progress.onProgress,
      };
      const result = await explore(scenario, options).catch((e: unknown) => {
        // A refused checkpoint is bad input (exit 2), not a failed check.
        throw e instanceof VBoxError && (options.resume !== undefined || options.checkpoint) ? new CliError(`${e.name} (${e.rc}): ${e.message}`) : e;
      });
      progress.finish();
      console.log(opts.json ? JSON.stringify(result, null, 2) : formatSummary(result));
      if (result.violations.length > 0) {
        const out = opts.traceOut ?? `${file.replace(/\.json$/i, '')}.trace.jsonl`;
        writeFileSync(out, result.violations[0]!.text);
        if (!opts.json) console.log(`\n${formatViolation(result, out)}`);
        process.exitCode = ExitCode.Violation;
      } else if (result.status === 'bounded') {
        if (result.bound === 'time') console.error(`check: stopped by the time limit (${opts.timeLimit} s); --time-limit <s> for more, 0 for none`);
        process.exitCode = ExitCode.Inconclusive;
      } else process.exitCode = ExitCode.Ok;
    });
}

function checkpointOptions(opts: CheckOptions): Pick<ExploreOptions, 'checkpoint' | 'resume'> {
  const dir = opts.checkpoint ?? opts.resume;
  if (opts.checkpointEvery !== undefined && dir === undefined) throw new InvalidArgumentError('--checkpoint-every needs --checkpoint <dir> (or --resume <dir>)');
  const every = opts.checkpointEvery !== undefined ? { everyMs: opts.checkpointEvery * 1000 } : {};
  return { ...(dir !== undefined ? { checkpoint: { dir, ...every } } : {}), ...(opts.resume !== undefined ? { resume: opts.resume } : {}) };
}

const MODES: readonly string[] = ['bfs', 'dfs', 'random', 'pct', 'portfolio'] satisfies ExploreMode[];
const isMode = (mode: string): mode is ExploreMode => MODES.includes(mode);
