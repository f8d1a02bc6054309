/**
 * SSM's own units, registered first in every registry as ssmR3LazyInit does (vbox-facts.md §8.7):
 * "SSM" (instance 0, version 1) carries a table of build strings, written in live pass 0 and in the final pass;
 * "SSMLiveControl" (instance 0, version 1) only loads: it maps the progress records a live save emitted into the
 * load progress range.
 */
import { defineCodes } from '../persist/registry.js';
import { VBoxError, VERR_SSM_UNEXPECTED_PASS, VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION, VINF_SSM_DONT_CALL_AGAIN } from '../status.js';
import { SSM_LIVE_CONTROL_NAME, SSM_LIVE_CONTROL_VERSION, SSM_PASS_FINAL } from './constants.js';
import type { SsmHandle } from './handle.js';
import { sharedCallbacks, type SsmUnitRegistry } from './units.js';

/** KBUILD_TARGET "." KBUILD_TARGET_ARCH as VirtualBox spells them. */
export function hostOsAndArch(): string {
  const os = process.platform === 'win32' ? 'win' : process.platform === 'sunos' ? 'solaris' : process.platform;
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? 'x86' : process.arch;
  return `${os}.${arch}`;
}

/** ssmR3SelfSaveExec: pairs of strings ending with two empty strings. */
function selfSaveExec(ssm: SsmHandle): void {
  ssm.putStrZ('Build Type');
  ssm.putStrZ('release');
  ssm.putStrZ('Host OS');
  ssm.putStrZ(hostOsAndArch());
  ssm.putStrZ('OSE');
  ssm.putStrZ('true');
  ssm.putStrZ('');
  ssm.putStrZ('');
}

/** ssmR3SelfLoadExec: reads the table (passes 0 and FINAL) and keeps "Host OS" for SSMR3HandleHostOSAndArch. */
function selfLoadExec(ssm: SsmHandle, version: number, pass: number): void {
  if (version !== 1) throw new VBoxError(VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION, `Unsupported version ${version} of unit 'SSM'.`);
  if (pass !== 0 && pass !== SSM_PASS_FINAL) return;
  for (;;) {
    const name = ssm.getStrZ(128);
    const value = ssm.getStrZ(1024);
    if (name === '' && value === '') break;
    ssm.buildInfo.set(name, value);
    if (name === 'Host OS') ssm.hostOsAndArch = value;
  }
}

/** ssmR3LiveControlLoadExec: parts per ten thousand scaled into the exec share of the load progress. */
function liveControlLoadExec(ssm: SsmHandle, version: number): void {
  if (version !== SSM_LIVE_CONTROL_VERSION) {
    throw new VBoxError(VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION, `Unsupported version ${version} of unit '${SSM_LIVE_CONTROL_NAME}'.`);
  }
  const partsPerTenThousand = ssm.getU16();
  ssm.progress.liveControl(partsPerTenThousand);
}

/** ssmR3SelfLiveExec: the table once, in pass 0. */
function selfLiveExec(ssm: SsmHandle, pass: number): number {
  if (pass !== 0) return VERR_SSM_UNEXPECTED_PASS;
  selfSaveExec(ssm);
  return VINF_SSM_DONT_CALL_AGAIN;
}

/** The callbacks in the code table (every registry holds them). */
const SELF = defineCodes('ssm.self', { selfLiveExec, selfSaveExec, selfLoadExec, liveControlLoadExec });
/** Their tables, shared by every registry's unit (a registry writes its own into a unit's `callbacks` when asked). */
const SELF_TABLE = sharedCallbacks('SSM', { liveExec: SELF.selfLiveExec, saveExec: SELF.selfSaveExec, loadExec: SELF.selfLoadExec });
const LIVE_CONTROL_TABLE = sharedCallbacks(SSM_LIVE_CONTROL_NAME, { loadExec: SELF.liveControlLoadExec });

export function registerSelfUnits(registry: SsmUnitRegistry): void {
  registry.register({ name: 'SSM', instance: 0, version: 1, cbGuess: 64, table: SELF_TABLE });
  registry.register({ name: SSM_LIVE_CONTROL_NAME, instance: 0, version: SSM_LIVE_CONTROL_VERSION, cbGuess: 1, table: LIVE_CONTROL_TABLE });
}
