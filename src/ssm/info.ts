/**
 * `ssm info`: what a saved-state file holds, read without any unit callbacks — the header, every unit with its
 * number of live passes, whether it has a final pass and its size in the stream, the build strings of the "SSM"
 * unit, the directory and the footer. A file is validated first (with the full CRC), then walked unit by unit
 * with the loader's own header, directory and footer checks (unit-header.ts), so every read is bounded by what the
 * file holds and every refusal is a VERR_SSM_* status. The strings are the file's: escape them before printing.
 */
import { namingFile } from './file-errors.js';
import { SSM_PASS_FINAL } from './constants.js';
import { crc32 } from './crc.js';
import { SsmHandle } from './handle.js';
import { openAndValidate, type SsmFileInfo } from './header-validate.js';
import { validate } from './open.js';
import { FileSource, type SsmSource } from './sources.js';
import { loadDirectoryAndFooter, readUnitHeaderV2 } from './unit-header.js';
import { SsmUnitDataReader } from './unit-reader.js';

export interface SsmInfoUnit {
  name: string;
  instance: number;
  version: number;
  /** Live passes (0..n) this unit wrote. */
  livePasses: number;
  /** Whether it wrote a final pass (SSM_PASS_FINAL). */
  final: boolean;
  /** Stream bytes of all its passes, headers and termination records included. */
  bytes: number;
}

export interface SsmInfo {
  header: SsmFileInfo;
  size: number;
  units: SsmInfoUnit[];
  /** SSMLiveControl records (live progress) in the stream. */
  liveControlRecords: number;
  buildInfo: Record<string, string>;
  directory: { off: number; instance: number; nameCrc: number; name: string | null }[];
  endOffset: number;
}

export function info(file: string | SsmSource): SsmInfo {
  return namingFile(file, () => walk(file));
}

function walk(file: string | SsmSource): SsmInfo {
  // A path is validated with the whole-file CRC first (SSMR3ValidateFile); the walk then checks every unit on read.
  if (typeof file === 'string') validate(file, { checksum: true });
  const source = typeof file === 'string' ? new FileSource(file) : file;
  const { reader, info: header } = openAndValidate(source, { checksumIt: false, checksumOnRead: true });
  try {
    const units = new Map<string, SsmInfoUnit>();
    const handle = new SsmHandle({ after: 'OPENED' });
    handle.state = 'OPEN_READ';
    const data = new SsmUnitDataReader(reader);
    handle.reader = data;
    let liveControlRecords = 0;
    const buildInfo: Record<string, string> = {};
    for (;;) {
      const hdr = readUnitHeaderV2(reader);
      const offUnit = hdr.offUnit;
      if (hdr.end) {
        const entries = loadDirectoryAndFooter(reader, header);
        const byCrc = new Map([...units.values()].map((u) => [`${crc32(Buffer.from(u.name, 'utf8'))}/${u.instance}`, u.name]));
        return {
          header, size: header.cbLoadFile, units: [...units.values()], liveControlRecords, buildInfo, endOffset: offUnit,
          directory: entries.map((e) => ({ ...e, name: byCrc.get(`${e.nameCrc}/${e.instance}`) ?? null })),
        };
      }
      data.begin();
      if (hdr.name === 'SSM' && (hdr.pass === 0 || hdr.pass === SSM_PASS_FINAL)) {
        for (;;) {
          const name = handle.getStrZ(128);
          const value = handle.getStrZ(1024);
          if (name === '' && value === '') break;
          buildInfo[name] = value;
        }
      }
      data.skipToEnd();
      const bytes = reader.offStream - offUnit;
      if (hdr.name === 'SSMLiveControl') {
        liveControlRecords++;
        continue;
      }
      const key = `${hdr.name}\0${hdr.instance}`;
      const unit = units.get(key) ?? { name: hdr.name, instance: hdr.instance, version: hdr.version, livePasses: 0, final: false, bytes: 0 };
      if (hdr.pass === SSM_PASS_FINAL) unit.final = true;
      else unit.livePasses++;
      unit.bytes += bytes;
      units.set(key, unit);
    }
  } finally {
    reader.close();
  }
}
