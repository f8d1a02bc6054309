/**
 * `vmm-actors ssm info <file> [--json]` and `vmm-actors ssm validate <file> [--checksum]`: the saved-state file
 * tools. A damaged file makes both exit 1 with the VirtualBox status name and its description; a missing one
 * exits 2 (bad input, ../exit-code.ts), with the same one line. Strings from the file (build strings, unit
 * names) are printed with control characters escaped.
 */
import { statSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { info, validate, type SsmInfo } from '../../ssm/index.js';
import { VBoxError, VERR_FILE_NOT_FOUND } from '../../status.js';
import { ExitCode } from '../exit-code.js';
import { printable, printableJson } from '../printable.js';

const hex = (n: number): string => `0x${n.toString(16)}`;

function printInfo(path: string, i: SsmInfo): void {
  const file = printable(path);
  const h = i.header;
  console.log(`${file}: saved state format ${h.fmtMajor}.${h.fmtMinor}, ${i.size} bytes`);
  console.log(`  written by VirtualBox ${h.verMajor}.${h.verMinor}.${h.verBuild} r${h.svnRev}, ${h.cHostBits}-bit host, cbGCPhys=${h.cbGCPhys}, cbGCPtr=${h.cbGCPtr}`);
  console.log(`  ${h.cUnits} units registered, flags: ${[h.fStreamCrc32 ? 'STREAM_CRC32' : '', h.live ? 'STREAM_LIVE_SAVE' : ''].filter(Boolean).join(' | ') || 'none'}`);
  console.log(`  stream CRC ${hex(h.loadCrc)}, END unit at ${hex(i.endOffset)}, ${i.liveControlRecords} SSMLiveControl records`);
  for (const [k, v] of Object.entries(i.buildInfo)) console.log(`  ${printable(k)}: ${printable(v)}`);
  console.log('  units:');
  console.log(`    ${'name'.padEnd(48)} ${'inst'.padStart(4)} ${'ver'.padStart(5)} ${'live passes'.padStart(11)} final ${'bytes'.padStart(12)}`);
  for (const u of i.units) {
    console.log(`    ${printable(u.name).padEnd(48)} ${String(u.instance).padStart(4)} ${String(u.version).padStart(5)} ${String(u.livePasses).padStart(11)} ${(u.final ? 'yes' : 'no').padEnd(5)} ${String(u.bytes).padStart(12)}`);
  }
  console.log(`  directory (${i.directory.length} entries):`);
  for (const e of i.directory) console.log(`    ${hex(e.off).padStart(12)} #${e.instance} ${e.name === null ? `<name crc ${hex(e.nameCrc)}>` : printable(e.name)}`);
}

/** Runs a tool; a VBoxError prints its status and sets exit code 1 (2 for a file that is not there). */
function guarded(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof VBoxError)) throw e;
    console.error(`${e.name} (${e.rc}): ${printable(e.message)}`);
    process.exitCode = e.rc === VERR_FILE_NOT_FOUND ? ExitCode.BadInput : ExitCode.Violation;
  }
}

/** The tool on `file`; a directory is bad input (exit 2, one line), not a damaged saved state. */
function onFile(file: string, tool: () => void): () => void {
  return () => {
    if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw new InvalidArgumentError(`saved state ${file}: is a directory, not a file`);
    tool();
  };
}

export function registerSsm(program: Command): void {
  const ssm = program.command('ssm').description('saved-state (SSM v2.0) file tools');
  ssm
    .command('info <file>')
    .description('header, units with pass counts and sizes, build strings and directory of a saved state')
    .option('--json', 'print JSON')
    .action((file: string, opts: { json?: boolean }) => guarded(onFile(file, () => {
      const i = info(file);
      if (opts.json) console.log(printableJson(i, 2));
      else printInfo(file, i);
    })));
  ssm
    .command('validate <file>')
    .description('SSMR3ValidateFile: header and footer checks, and the whole-file CRC with --checksum')
    .option('--checksum', 'also check the CRC-32 of the whole stream')
    .action((file: string, opts: { checksum?: boolean }) => guarded(onFile(file, () => {
      validate(file, { checksum: opts.checksum ?? false });
      console.log(`${file}: valid${opts.checksum ? ' (checksum verified)' : ''}`);
    })));
}
