/**
 * `vmm-actors replay <trace>`: re-run a checker counterexample in the deterministic runtime (the scheduler's
 * replay policy), print each step with `--steps`, and print the violation the replay finds — the same text
 * `check` printed. Exit codes (../exit-code.ts): 1 when the recorded violation is reproduced (or another one
 * found), 3 when the replay cannot decide — it left the trace, did not reproduce it, or the violation came
 * from a user invariant the CLI cannot run (the library call that can is printed) — 2 for a file that is not
 * a checker trace.
 */
import type { Command } from 'commander';
import { replayTrace, type ReplayResult } from '../../check/index.js';
import { libraryReplayCall } from '../../check/trace.js';
import { CliError, EXIT_CODES_HELP, ExitCode } from '../exit-code.js';
import { readInputFile } from '../input-file.js';
import type { VmTraceEvent } from '../../vmm/vm-core.js';
import { sendTrace, serveViewer } from '../../inspect/trace-actions.js';

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('re-run a checker counterexample exactly and print its violation again')
    .argument('<trace>', 'a trace file written by `vmm-actors check` (JSON lines)')
    .option('--steps', 'print every step and the VM/vCPU state changes it made')
    .option('--inspect-ws <url>', 'then send the trace to a websocket inspector (e.g. `vmm-actors view --live <url>`)')
    .option('--view', 'then show the trace in the local viewer, step by step (until Ctrl-C)')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .action(async (file: string, opts: { steps?: boolean; inspectWs?: string; view?: boolean }) => {
      const text = readInputFile(file, 'trace');
      const replay = (): ReplayResult => replayTrace(text, {
        ...(opts.steps
          ? {
              onStep: (world, record, events) => {
                const choice = record.choice;
                const call = choice.kind === 'step' ? world.labels.callOfThread(choice.actor) : undefined;
                const what = choice.kind === 'timer' ? `timer ${choice.label}` : call ? `${choice.actor} (${call.label} ${call.spec.call})` : choice.actor;
                const changes = events.map(describeEvent).filter((e) => e !== '');
                console.log(`${String(world.depth).padStart(4)}  ${what}${changes.length ? `  ${changes.join(', ')}` : ''}`);
              },
            }
          : {}),
      });
      let result: ReplayResult;
      try {
        result = replay();
      } catch (e) {
        throw new CliError(`trace ${file}: ${(e as Error).message}`); // not a checker trace, or a mutant's
      }
      console.log(`replayed ${result.steps} steps of ${file}`);
      if (result.divergence) console.log(`the replay left the trace: ${result.divergence}`);
      if (result.violation) console.log(`VIOLATION ${result.violation.property}: ${result.violation.message}`);
      else console.log('no violation');
      if (result.reproduced) console.log('reproduced: the replay found the recorded violation');
      else if (result.user && !result.divergence) {
        console.log(`the trace recorded a violation of the user ${result.user.kind} '${result.user.name}': ${result.expected?.message ?? ''}`);
        console.log(`the CLI runs the built-in properties only; replay it with your ${result.user.kind} from code:`);
        console.log(`  ${libraryReplayCall(file, result.user)}`);
      } else if (result.expected) console.log(`NOT reproduced; the trace recorded: ${result.expected.property}: ${result.expected.message}`);
      process.exitCode = result.divergence || (result.expected && !result.reproduced) ? ExitCode.Inconclusive : result.violation ? ExitCode.Violation : ExitCode.Ok;
      if (opts.inspectWs) await sendTrace(file, opts.inspectWs, console.log);
      if (opts.view) await serveViewer({ trace: file }, console.log);
    });
}

function describeEvent(event: VmTraceEvent): string {
  switch (event.kind) {
    case 'state':
      return `VM ${event.from}→${event.to}`;
    case 'cpu-state':
      return `vCPU${event.cpu} ${event.from}→${event.to}`;
    default:
      return '';
  }
}
