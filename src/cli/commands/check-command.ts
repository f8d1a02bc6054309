/**
 * `vmm-actors check <scenario.json>`: explore every interleaving of a scenario file, with a live progress line
 * (states, states/s, depth, frontier, heap), a summary table, the counterexample trace written on a violation
 * (`--trace-out`, default `<scenario>.trace.jsonl`) and exit code 1 when a property fails. `--audit-key` audits
 * the state key instead (src/check/key-audit.ts): exit code 1 when two states with different futures share a key.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { explore, formatSummary, formatViolation, parseScenarioText, type ExploreOptions, type Progress } from '../../check/index.js';
import { disablePretenuring } from '../../check/gc-tuning.js';
import { auditStateKey, formatKeyAudit } from '../../check/key-audit.js';
import { parseInteger } from './options.js';

interface CheckOptions {
  mode: string;
  maxStates?: number;
  maxDepth?: number;
  timeLimit?: number;
  por: boolean;
  symmetry: boolean;
  liveness: boolean;
  seed?: number;
  walks?: number;
  workers?: number;
  pretenuring?: boolean;
  traceOut?: string;
  quiet?: boolean;
  auditKey?: number | true;
  auditLanes?: number;
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('model-check a scenario: every interleaving of its clients and the EMTs, over the engine itself')
    .argument('<scenario>', 'scenario file (JSON): { "cpus": 2, "clients": [["powerOn", "suspend"], ["powerOff"]] }')
    .option('--mode <mode>', 'bfs (shortest counterexample) | dfs | random', 'bfs')
    .option('--max-states <n>', 'stop after this many states (the verdict is then "bounded")', parseInteger)
    .option('--max-depth <n>', 'do not expand states deeper than this', parseInteger)
    .option('--time-limit <s>', 'stop after this many seconds', parseInteger)
    .option('--no-por', 'switch partial-order reduction off')
    .option('--no-symmetry', 'switch vCPU symmetry reduction off')
    .option('--no-liveness', 'skip the fair-cycle (liveness) analysis')
    .option('--seed <n>', 'random mode: seed', parseInteger)
    .option('--walks <n>', 'random mode: number of walks', parseInteger)
    .option('--workers <n>', 'breadth-first on n worker threads (same states and verdict; default 1)', parseInteger)
    .option('--pretenuring', "keep V8's allocation-site pretenuring (switched off while checking: about 2x faster)")
    .option('--trace-out <file>', 'where to write the counterexample (default: <scenario>.trace.jsonl)')
    .option('--quiet', 'no progress line')
    .option('--audit-key [depth]', 'audit the state key instead: states merged by key must have the same futures, depth steps deep (2)', parseInteger)
    .option('--audit-lanes <n>', 'with --audit-key: runs followed to their end from both states of each merge (1)', parseInteger)
    .action(async (file: string, opts: CheckOptions) => {
      if (opts.mode !== 'bfs' && opts.mode !== 'dfs' && opts.mode !== 'random') throw new InvalidArgumentError('--mode must be bfs, dfs or random');
      const scenario = parseScenarioText(readFileSync(file, 'utf8'), file);
      if (!opts.pretenuring) disablePretenuring();
      if (opts.auditKey !== undefined) {
        const audit = auditStateKey(scenario, {
          symmetry: opts.symmetry,
          ...(opts.auditKey !== true ? { depth: opts.auditKey } : {}),
          ...(opts.auditLanes !== undefined ? { lanes: opts.auditLanes } : {}),
          ...(opts.maxStates !== undefined ? { maxStates: opts.maxStates } : {}),
        });
        console.log(formatKeyAudit(audit));
        if (audit.mismatches.length > 0) process.exitCode = 1;
        return;
      }
      const live = !opts.quiet && process.stderr.isTTY === true;
      const options: ExploreOptions = {
        mode: opts.mode,
        por: opts.por,
        symmetry: opts.symmetry,
        liveness: opts.liveness,
        ...(opts.maxStates !== undefined ? { maxStates: opts.maxStates } : {}),
        ...(opts.maxDepth !== undefined ? { maxDepth: opts.maxDepth } : {}),
        ...(opts.timeLimit !== undefined ? { timeLimitMs: opts.timeLimit * 1000 } : {}),
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ...(opts.walks !== undefined ? { walks: opts.walks } : {}),
        ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
        ...(live ? { onProgress: (p: Progress) => process.stderr.write(`\r${progressLine(p)}\x1b[K`) } : {}),
      };
      const result = await explore(scenario, options);
      if (live) process.stderr.write('\r\x1b[K');
      console.log(formatSummary(result));
      if (result.violations.length > 0) {
        const out = opts.traceOut ?? `${file.replace(/\.json$/i, '')}.trace.jsonl`;
        writeFileSync(out, result.violations[0]!.text);
        console.log(`\n${formatViolation(result, out)}`);
        process.exitCode = 1;
      }
    });
}

function progressLine(p: Progress): string {
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  return `states ${n(p.states)}  ${n(p.statesPerSecond)}/s  transitions ${n(p.transitions)}  depth ${p.depth}  frontier ${n(p.frontier)}  heap ${n(p.heapBytes / 1048576)} MB  ${p.seconds.toFixed(1)} s`;
}
