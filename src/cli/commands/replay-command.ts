/**
 * `vmm-actors replay <trace>`: re-run a checker counterexample in the deterministic runtime (the scheduler's
 * replay policy), print each step with `--steps`, and print the violation the replay finds — the same text
 * `check` printed. Exit code 1 when a violation is printed, 2 when the replay did not follow the trace or did
 * not reproduce its violation.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { replayTrace } from '../../check/index.js';
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
    .action(async (file: string, opts: { steps?: boolean; inspectWs?: string; view?: boolean }) => {
      const result = replayTrace(readFileSync(file, 'utf8'), {
        ...(opts.steps
          ? {
              onStep: (world, record, events) => {
                const choice = record.choice;
                const call = choice.kind === 'step' ? world.labels.threadById.get(choice.actor) : undefined;
                const what = choice.kind === 'timer' ? `timer ${choice.label}` : call ? `${choice.actor} (${call.label} ${call.spec.call})` : choice.actor;
                const changes = events.map(describeEvent).filter((e) => e !== '');
                console.log(`${String(world.depth).padStart(4)}  ${what}${changes.length ? `  ${changes.join(', ')}` : ''}`);
              },
            }
          : {}),
      });
      console.log(`replayed ${result.steps} steps of ${file}`);
      if (result.divergence) console.log(`the replay left the trace: ${result.divergence}`);
      if (result.violation) console.log(`VIOLATION ${result.violation.property}: ${result.violation.message}`);
      else console.log('no violation');
      if (result.reproduced) console.log('reproduced: the replay found the recorded violation');
      else if (result.expected) console.log(`NOT reproduced; the trace recorded: ${result.expected.property}: ${result.expected.message}`);
      process.exitCode = result.divergence || (result.expected && !result.reproduced) ? 2 : result.violation ? 1 : 0;
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
