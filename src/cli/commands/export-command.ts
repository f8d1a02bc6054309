/** `vmm-actors export <machine|all> [--format mermaid|dot|json|scxml] [--out path]`: diagrams from machines/. */
import { writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { EXPORT_FORMATS, exportMachine, writeDiagrams, type ExportFormat } from '../../inspect/export/index.js';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('print a machine diagram from its definition; `export all --out docs/diagrams` writes the README set')
    .argument('<machine>', 'vm, vmcpu, emt, request, rendezvous … (any MACHINES entry), or all')
    .option('--format <format>', EXPORT_FORMATS.join(' | '), 'mermaid')
    .option('--out <path>', 'write to this file (a directory for `all`) instead of stdout')
    .action((machine: string, opts: { format: string; out?: string }) => {
      if (machine === 'all') {
        if (!opts.out) throw new InvalidArgumentError('`export all` needs --out <directory>');
        const written = writeDiagrams(opts.out);
        console.log(written.length === 0 ? `${opts.out}: up to date` : written.map((f) => `wrote ${f}`).join('\n'));
        return;
      }
      const text = exportMachine(machine, opts.format as ExportFormat);
      if (opts.out) writeFileSync(opts.out, text);
      else process.stdout.write(text);
    });
}
