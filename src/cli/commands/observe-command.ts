/**
 * `vmm-actors observe <VBox.log>...`: what each real VirtualBox log shows (version, host, vCPUs, halt method,
 * the VM state path with times and causes), checked against machines/vm.ts and re-enacted by the engine.
 * Exit 0: every log conforms and re-enacts identically (a failed start counts as fine); 1: a violation or a
 * divergence; 2: unreadable or unsupported input. `--trace-out` writes the trace, `--view` shows it.
 */
import { writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { formatTrace } from '../../inspect/trace-format.js';
import { serveViewer } from '../../inspect/trace-actions.js';
import { DEFAULT_MAX_CALLS, formatReport, observeFile, ObserveInputError, reportOf, type ObserveResult } from '../../observe/index.js';
import { CliError, EXIT_CODES_HELP, ExitCode } from '../exit-code.js';
import { requireFile } from '../input-file.js';
import { parseInteger } from './options.js';

interface ObserveCliOptions {
  json?: boolean;
  traceOut?: string;
  view?: boolean;
  port: number;
  open?: boolean;
  reenact: boolean;
  maxCalls: number;
}

/** The exit code a report asks for. */
export function exitCodeOf(r: Pick<ObserveResult, 'verdict' | 'reenact'>): ExitCode {
  if (r.verdict === 'unsupported') return ExitCode.BadInput;
  if (r.verdict === 'violation' || r.reenact === 'diverged') return ExitCode.Violation;
  return ExitCode.Ok;
}

/** With several logs, each trace goes next to the name given: out.jsonl -> out.<log name>.jsonl. */
function traceFileFor(out: string, file: string, many: boolean): string {
  if (!many) return out;
  const ext = extname(out);
  return `${out.slice(0, out.length - ext.length)}.${basename(file)}${ext || '.jsonl'}`;
}

export function registerObserve(program: Command): void {
  program
    .command('observe')
    .description('read real VirtualBox release logs (VBox.log, 3.1+): VM state path, conformance to machines/vm.ts, re-enactment in the engine')
    .argument('<logs...>', 'VBox.log files')
    .option('--json', 'print one JSON object per log (one per line)')
    .option('--trace-out <file>', 'write the observed and re-enacted run as a trace (JSON lines)')
    .option('--view', 'open the trace in the local viewer (one log), serving until Ctrl-C')
    .option('--port <n>', 'viewer port (default: any free one)', parseInteger, 0)
    .option('--open', 'with --view: open the page in a browser')
    .option('--no-reenact', 'conformance only, do not drive the engine')
    .option('--max-calls <n>', 're-enact logs of at most this many API calls', parseInteger, DEFAULT_MAX_CALLS)
    .addHelpText('after', `\n${EXIT_CODES_HELP}\nobserve: 0 every log conforms and re-enacts identically (a failed start counts as fine), 1 a violation or a divergence, 2 unreadable or unsupported input`)
    .action(async (logs: string[], opts: ObserveCliOptions) => {
      if (opts.view && logs.length !== 1) throw new InvalidArgumentError('--view shows one log: give one file');
      let code = ExitCode.Ok;
      let viewed: ObserveResult | undefined;
      for (const file of logs) {
        let result: ObserveResult;
        try {
          requireFile(file, 'log', Infinity); // streamed: any size; missing or a directory is one line naming it
          result = await observeFile(file, { reenact: opts.reenact, maxCalls: opts.maxCalls });
        } catch (error) {
          if (!(error instanceof ObserveInputError || error instanceof CliError)) throw error;
          if (opts.json) console.log(JSON.stringify({ file, error: error.message }));
          else console.error(`error: ${error.message}`);
          code = ExitCode.BadInput; // the other logs are still read
          continue;
        }
        console.log(opts.json ? JSON.stringify(reportOf(result)) : formatReport(result));
        code = Math.max(code, exitCodeOf(result));
        if (opts.traceOut) {
          const out = traceFileFor(opts.traceOut, file, logs.length > 1);
          writeFileSync(out, formatTrace(result.trace));
          if (!opts.json) console.log(`  trace: ${out} (vmm-actors view ${out})`);
        }
        viewed = result;
      }
      process.exitCode = code;
      if (opts.view && viewed) {
        await serveViewer({ records: viewed.trace, title: `observe: ${viewed.file}`, port: opts.port, open: opts.open ?? false }, console.log);
      }
    });
}
