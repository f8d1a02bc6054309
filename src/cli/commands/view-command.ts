/**
 * `vmm-actors view <trace.jsonl>` serves the local viewer for a recorded trace or a checker counterexample;
 * `view --live ws://127.0.0.1:8080` shows engines that stream there (`demo --inspect-ws …`) as they run;
 * `view <trace> --inspect-ws <url>` feeds the trace to a websocket inspector instead.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { sendTrace, serveViewer } from '../../inspect/trace-actions.js';
import { ExitCode } from '../exit-code.js';
import { requireFile } from '../input-file.js';
import { parseInteger } from './options.js';

export function registerView(program: Command): void {
  program
    .command('view')
    .description('open a trace (or a live engine) in the local viewer: statecharts, sequence, stepping; offline')
    .argument('[trace]', 'a trace file (demo --trace, record, or a checker counterexample)')
    .option('--live <ws-url>', 'relay at this address and show what engines stream to it')
    .option('--port <n>', 'port for the page (default: any free one)', parseInteger, 0)
    .option('--open', 'open the page in a browser')
    .option('--inspect-ws <url>', 'send the trace to a websocket inspector instead of serving the page')
    .action(async (trace: string | undefined, opts: { live?: string; port: number; open?: boolean; inspectWs?: string }) => {
      if (!trace && !opts.live) throw new InvalidArgumentError('give a trace file or --live <ws-url>');
      if (trace) requireFile(trace, 'trace');
      for (const url of [opts.live, opts.inspectWs]) if (url !== undefined && !URL.canParse(url)) throw new InvalidArgumentError(`'${url}' is not a URL (ws://127.0.0.1:8080)`);
      if (opts.inspectWs) {
        if (!trace) throw new InvalidArgumentError('--inspect-ws replays a trace file');
        if ((await sendTrace(trace, opts.inspectWs, console.log)) === 0) process.exitCode = ExitCode.Violation;
        return;
      }
      await serveViewer({ ...(trace ? { trace } : {}), ...(opts.live ? { live: opts.live } : {}), port: opts.port, open: opts.open ?? false }, console.log);
    });
}
