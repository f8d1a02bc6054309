/**
 * The engine's own saved-state units and the per-VM SSM context: every VM gets a unit registry with SSM's
 * units, then "vm" (what the VM itself must carry over), "vmm" (which vCPUs are started, as VMM.cpp saves it),
 * one "vcpu" per vCPU (instance = CPU id), "gvmm" (what the global VM manager sees of it) and "pgm" (guest RAM). Embedders add theirs with vm.registerUnit().
 * The SSMR3Cancel hook of the lifecycle (power-off, fatal error, guru meditation from an _LS state) is wired
 * here to the live save of this VM.
 */
import { Subject } from 'rxjs';
import { defineCodes, persistable } from '../persist/registry.js';
import { EMPTY_LIST, replacedAt } from '../persist/empty-list.js';
import {
  VBoxError, VERR_SSM_DATA_UNIT_FORMAT_CHANGED, VERR_SSM_LOAD_CONFIG_MISMATCH, VERR_SSM_NO_PENDING_OPERATION,
  VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION,
} from '../status.js';
import { CPU_EVENT } from '../vmm/vm-core.js';
import { VMCPU_FF_REQUEST } from '../vmm/ff.js';
import type { VmCore, VmObserver, VmTraceEvent } from '../vmm/vm-core.js';
import type { Operation } from '../vmm/external.js';
import type { ReqPool } from '../vmm/requests.js';
import type { SavedStatePort, SaveDriver, SaveSink, SaveStart } from '../vmm/save/ports.js';
import type { SaveFlow } from '../vmm/save/save-flow.js';
import type { SsmHandle } from './handle.js';
import { SsmLiveSave } from './live-save.js';
import { loadFromFileOp, type LoadOptions } from './live/vm-load.js';
import { FileSink } from './sinks.js';
import { GuestRam, type GuestRamOptions } from './live/guest-ram.js';
import { pgmUnit } from './pgm.js';
import type { SsmUnitOptions } from './units.js';
import { sharedCallbacks, SsmUnitRegistry, unitOwner } from './units.js';

/** What a save, a teleport or a load reports on the way (vm.progress$). */
export interface SsmProgressEvent {
  readonly op: 'save' | 'teleport' | 'load';
  readonly percent: number;
  readonly tNs: number;
}

/** Per-VM saved-state context (vm.ssm), and the engine's port to the saved-state layer. */
export interface VmSavedState extends SavedStatePort {
  readonly registry: SsmUnitRegistry;
  readonly ram: GuestRam;
  readonly progress$: Subject<SsmProgressEvent>;
  /** GIP nanoseconds each vCPU spent running guest code (saved with the vcpu unit; frozen, replaced at each write). */
  execNs: readonly number[];
  /** registry.cancellable, read without making the registry (SSMR3Cancel, the checker's state key). */
  readonly cancellable: SsmHandle | null;
}

/**
 * The context with its unit registry and progress subject made on first use: most VMs (every world of the
 * checker) never save or load, and the registry with its units is a good part of a new VM's allocations.
 * The registry starts with the same units in the same order whenever it is made.
 */
class SavedState implements VmSavedState, VmObserver {
  // Frozen and replaced at each write (a vCPU enters or leaves STARTED_EXEC): world copies share them.
  execNs: readonly number[];
  /** When each vCPU entered STARTED_EXEC (null: not executing), for execNs. */
  execSince: readonly (number | null)[];
  /** EMPTY_LIST while no flow runs (copies share it). */
  saveFlows: readonly SaveFlow[] = EMPTY_LIST;
  private _registry: SsmUnitRegistry | null = null;
  private _progress: Subject<SsmProgressEvent> | null = null;

  constructor(
    readonly vm: VmCore,
    readonly ram: GuestRam,
  ) {
    this.execNs = Object.freeze(new Array<number>(vm.cCpus).fill(0));
    this.execSince = Object.freeze(new Array<number | null>(vm.cCpus).fill(null));
  }

  get registry(): SsmUnitRegistry {
    if (!this._registry) {
      this._registry = new SsmUnitRegistry();
      registerEngineUnits(this.vm, this);
    }
    return this._registry;
  }

  get progress$(): Subject<SsmProgressEvent> {
    return (this._progress ??= new Subject());
  }

  get cancellable(): SsmHandle | null {
    return this._registry?.cancellable ?? null;
  }

  /**
   * SSMR3Cancel (§7.5): VERR_SSM_NO_PENDING_OPERATION without a cancellable handle; otherwise the handle's
   * compare-and-swap (VINF_SUCCESS, or VERR_SSM_ALREADY_CANCELLED).
   */
  cancel(): number {
    const handle = this.cancellable;
    if (!handle) return VERR_SSM_NO_PENDING_OPERATION;
    // A live save answers through its machine; any other handle (a load) flips its own word.
    return (handle.liveSave ?? handle).cancel();
  }

  /**
   * Listen to the VM: the guest's stops (guest RAM) and the vCPUs' guest run time (execNs). At creation, and
   * after a restore once the VM's listener set is back (VmCore's revive), since a snapshot does not carry it.
   */
  reattach(): void {
    this.vm.listeners.add(this); // listens as itself (VmObserver): a world copy's revive binds nothing
  }

  /** The guest stops (guest RAM) and each vCPU's time in STARTED_EXEC (execNs). */
  heard(event: VmTraceEvent): void {
    if (event.kind === 'state' && !RUNNING_STATES.has(event.to)) this.ram.guestStopped();
    if (event.kind === 'cpu-state') {
      const since = this.execSince;
      const cpu = event.cpu;
      if (event.to === 'STARTED_EXEC') this.execSince = replacedAt(since, cpu, event.tNs);
      else if (event.from === 'STARTED_EXEC' && since[cpu] !== null) {
        this.execNs = replacedAt(this.execNs, cpu, this.execNs[cpu]! + (event.tNs - since[cpu]!));
        this.execSince = replacedAt(since, cpu, null);
      }
    }
  }

  /** State and vCPU-state changes only. */
  wantsDetail(): boolean {
    return false;
  }

  startSave(options: SaveStart): SaveDriver {
    return new SsmLiveSave({ ...options, registry: this.registry });
  }

  openFile(path: string): SaveSink {
    return new FileSink(path);
  }

  reportProgress(op: 'save' | 'teleport', percent: number, tNs: number): void {
    this._progress?.next({ op, percent, tNs }); // no subject yet: nobody subscribed to hear it
  }

  loadFromFileOp(pool: ReqPool, path: string, options: LoadOptions): Operation {
    return loadFromFileOp(pool, path, options);
  }
}

/** The progress subject is a host attachment (its subscribers are the embedder's): a restore makes a new one on first use. */
// The save flows in progress: a set (the order they started in decides nothing).
persistable('SavedState', SavedState, { transient: ['_progress'], unordered: ['saveFlows'], owned: ['execNs', 'execSince', 'saveFlows'] });

const RUNNING_STATES = new Set(['RUNNING', 'RUNNING_LS']);

/** The VM's saved-state context if attached (vm.ssm narrowed to the one this layer attaches). */
export function attachedSavedState(vm: VmCore): VmSavedState | undefined {
  return vm.ssm instanceof SavedState ? vm.ssm : undefined;
}

export function savedStateOf(vm: VmCore): VmSavedState {
  const state = attachedSavedState(vm);
  if (!state) throw new Error(`${vm.id}: saved state not attached`);
  return state;
}

/** The live save under way on this VM (its SSM machine is `.cell`), if any: for the checker and inspectors. */
export function liveSaveOf(vm: VmCore): SsmLiveSave | undefined {
  return attachedSavedState(vm)?.cancellable?.liveSave ?? undefined;
}

/** The VM's simulated RAM, if saved state is attached (guests call this on every slice). */
export function guestRamOf(vm: VmCore): GuestRam | undefined {
  return attachedSavedState(vm)?.ram;
}

/** SSMR3Cancel on a VM: its saved-state context's cancel (SavedState.cancel), or VERR_SSM_NO_PENDING_OPERATION. */
export function ssmR3Cancel(vm: VmCore): number {
  return attachedSavedState(vm)?.cancel() ?? VERR_SSM_NO_PENDING_OPERATION;
}

/** Give a new VM its registry, RAM and engine units (the engine routes SSMR3Cancel to vm.ssm). */
export function attachSavedState(vm: VmCore, options: { ram?: GuestRamOptions } = {}): VmSavedState {
  const ram = new GuestRam(options.ram); // now, so bad RAM options fail VMR3Create
  const state = new SavedState(vm, ram);
  vm.ssm = state;
  state.reattach();
  return state;
}

const checkVersion = (ssm: SsmHandle, name: string, version: number, expected = 1) => {
  if (version === expected) return;
  const message = `Unsupported version ${version} of data unit '${name}'`;
  ssm.setLoadError(VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION, message);
  throw new VBoxError(VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION, message);
};

/** VMM_SAVED_STATE_VERSION (VMM.cpp); version 3 (VirtualBox 3.0) carried stack bits the engine never had. */
export const VMM_SAVED_STATE_VERSION = 4;
const VMM_TERMINATOR = 0xffffffff;

/**
 * "vmm" (VMM.cpp vmmR3Save / vmmR3Load, vbox-facts.md §7.7): per vCPU i >= 1 whether it is started, then a
 * UINT32_MAX terminator. The load starts vCPU 0 ("VCPU 0 is always started") and sets every other one from its
 * flag: it is the only place a loaded or teleported VM's vCPUs get started (vmR3Resume does not start them).
 */
function vmmUnit(vm: VmCore): SsmUnitOptions {
  return {
    name: 'vmm', instance: 0, version: VMM_SAVED_STATE_VERSION, cbGuess: 4 + vm.cCpus, owner: vm, table: ENGINE_TABLES.vmm,
  };
}

function vmmSetStarted(vm: VmCore, cpu: number, started: boolean): void {
  if (vm.host.faults?.loadSkipsCpuStates) return; // the fault: test-only mutant
  const state = vm.cpuState(cpu);
  if (started && state === 'STOPPED') vm.cpuSend(cpu, CPU_EVENT.start);
  else if (!started && state === 'STARTED') vm.cpuSend(cpu, CPU_EVENT.stop);
}

const mismatch = (ssm: SsmHandle, rc: number, message: string) => {
  ssm.setLoadError(rc, message);
  return new VBoxError(rc, message);
};

/** The VM a unit of the engine's belongs to (every unit here is registered with the VM as its owner). */
const vmOf = (ssm: SsmHandle): VmCore => unitOwner<VmCore>(ssm);

/**
 * The engine units' callbacks in the code table, shared by every VM: each finds its VM as the unit's owner (and
 * a "vcpu" unit its CPU as the unit's instance), so a registry in a snapshot names them, never a closure.
 */
const ENGINE_UNITS = defineCodes('ssm.units', {
  // "vm": the CPU count must match; the reset counters and the suspend reason carry over.
  vmSaveExec: (ssm: SsmHandle): void => {
    const vm = vmOf(ssm);
    ssm.putU32(vm.cCpus);
    ssm.putU32(vm.cResets);
    ssm.putU32(vm.cHardResets);
    ssm.putU32(vm.cSoftResets);
    ssm.putU32(vm.suspendReason);
  },
  vmLoadExec: (ssm: SsmHandle, version: number): void => {
    const vm = vmOf(ssm);
    checkVersion(ssm, 'vm', version);
    const cCpus = ssm.getU32();
    if (cCpus !== vm.cCpus) throw mismatch(ssm, VERR_SSM_LOAD_CONFIG_MISMATCH, `the saved VM has ${cCpus} vCPUs, this one ${vm.cCpus}`);
    vm.cResets = ssm.getU32();
    vm.cHardResets = ssm.getU32();
    vm.cSoftResets = ssm.getU32();
    vm.suspendReason = ssm.getU32();
  },
  vmmSaveExec: (ssm: SsmHandle): void => {
    const vm = vmOf(ssm);
    for (let cpu = 1; cpu < vm.cCpus; cpu++) ssm.putBool(vm.isCpuStarted(cpu));
    ssm.putU32(VMM_TERMINATOR);
  },
  vmmLoadExec: (ssm: SsmHandle, version: number): void => {
    const vm = vmOf(ssm);
    checkVersion(ssm, 'vmm', version, VMM_SAVED_STATE_VERSION);
    vmmSetStarted(vm, 0, true);
    for (let cpu = 1; cpu < vm.cCpus; cpu++) vmmSetStarted(vm, cpu, ssm.getBool());
    const terminator = ssm.getU32();
    if (terminator !== VMM_TERMINATOR) {
      throw mismatch(ssm, VERR_SSM_DATA_UNIT_FORMAT_CHANGED, `vmm unit: terminator 0x${terminator.toString(16)} instead of UINT32_MAX`);
    }
  },
  // "vcpu" #i: pending force flags (not the request flag: requests do not travel) and guest run time.
  vcpuSaveExec: (ssm: SsmHandle): void => {
    const vm = vmOf(ssm);
    const cpu = ssm.unit!.instance;
    ssm.putU32(cpu);
    ssm.putU32(vm.cpuFF[cpu]! & ~VMCPU_FF_REQUEST);
    ssm.putU64(BigInt(Math.round(savedStateOf(vm).execNs[cpu]!)));
  },
  vcpuLoadExec: (ssm: SsmHandle, version: number): void => {
    const vm = vmOf(ssm);
    const cpu = ssm.unit!.instance;
    checkVersion(ssm, 'vcpu', version);
    const id = ssm.getU32();
    if (id !== cpu) throw mismatch(ssm, VERR_SSM_DATA_UNIT_FORMAT_CHANGED, `vcpu unit #${cpu} carries CPU id ${id}`);
    vm.cpuFF[cpu] = (ssm.getU32() & ~VMCPU_FF_REQUEST) | (vm.cpuFF[cpu]! & VMCPU_FF_REQUEST);
    const saved = savedStateOf(vm);
    saved.execNs = replacedAt(saved.execNs, cpu, Number(ssm.getU64()));
  },
  // "gvmm": what the host's VM manager sees of this VM: its EMT count and scheduling configuration.
  gvmmSaveExec: (ssm: SsmHandle): void => {
    const vm = vmOf(ssm);
    ssm.putU32(vm.cCpus);
    ssm.putU32(vm.config.CpuExecutionCap);
    ssm.putU32(vm.config.HaltMethod ?? 0xffffffff);
  },
  gvmmLoadExec: (ssm: SsmHandle, version: number): void => {
    const vm = vmOf(ssm);
    checkVersion(ssm, 'gvmm', version);
    const cEmts = ssm.getU32();
    if (cEmts !== vm.cCpus) throw mismatch(ssm, VERR_SSM_LOAD_CONFIG_MISMATCH, `the saved VM has ${cEmts} EMTs, this one ${vm.cCpus}`);
    ssm.getU32();
    ssm.getU32();
  },
});

/** The engine units' callback tables, shared by every VM's unit of that kind. */
const ENGINE_TABLES = {
  vm: sharedCallbacks('vm', { saveExec: ENGINE_UNITS.vmSaveExec, loadExec: ENGINE_UNITS.vmLoadExec }),
  vmm: sharedCallbacks('vmm', { saveExec: ENGINE_UNITS.vmmSaveExec, loadExec: ENGINE_UNITS.vmmLoadExec }),
  vcpu: sharedCallbacks('vcpu', { saveExec: ENGINE_UNITS.vcpuSaveExec, loadExec: ENGINE_UNITS.vcpuLoadExec }),
  gvmm: sharedCallbacks('gvmm', { saveExec: ENGINE_UNITS.gvmmSaveExec, loadExec: ENGINE_UNITS.gvmmLoadExec }),
};

function registerEngineUnits(vm: VmCore, state: VmSavedState): void {
  const registry = state.registry;
  registry.register({ name: 'vm', instance: 0, version: 1, cbGuess: 32, owner: vm, table: ENGINE_TABLES.vm });
  registry.register(vmmUnit(vm));
  for (let cpu = 0; cpu < vm.cCpus; cpu++) registry.register({ name: 'vcpu', instance: cpu, version: 1, cbGuess: 16, owner: vm, table: ENGINE_TABLES.vcpu });
  registry.register({ name: 'gvmm', instance: 0, version: 1, cbGuess: 12, owner: vm, table: ENGINE_TABLES.gvmm });
  registry.register(pgmUnit(state.ram));
}
