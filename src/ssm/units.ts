/**
 * The saved-state unit registry (SSMR3Register*, vbox-facts.md §8.7): every piece of VM state that goes into a
 * saved state is a named unit with an instance number, a data version, a size guess and up to nine callbacks.
 * The list order is the save order. Like VirtualBox's lazy init, a registry starts with SSM's own two units,
 * "SSM" (build information) and "SSMLiveControl" (live progress records), so `cUnits` counts them too.
 */
import {
  VBoxError, VERR_INVALID_PARAMETER, VERR_OUT_OF_RANGE, VERR_SSM_UNIT_EXISTS, VERR_SSM_UNIT_NOT_FOUND, VINF_SUCCESS,
} from '../status.js';
import { defineConstant, persistable } from '../persist/registry.js';
import { SSM_MAX_NAME_SIZE } from './constants.js';
import type { SsmHandle } from './handle.js';
import { registerSelfUnits } from './self-units.js';
import type { UserCallbackError } from '../vmm/user-callback.js';

/** A callback's result: a VBox status, or nothing for VINF_SUCCESS. A thrown VBoxError is its status. */
export type SsmStatus = number | void;

/**
 * A loadExec with a lot of data may load it in slices: it returns a generator that yields between slices, and
 * the load gives the engine a turn at each yield. Its return value is the callback's status.
 */
export type SsmSlices = Iterator<void, SsmStatus, void>;

export const isSsmSlices = (result: unknown): result is SsmSlices =>
  typeof result === 'object' && result !== null && typeof (result as Partial<SsmSlices>).next === 'function';

/** The nine callbacks of SSMR3RegisterInternal; all optional, all synchronous (loadExec may return slices). */
export interface SsmUnitCallbacks {
  livePrep?(ssm: SsmHandle): SsmStatus;
  liveExec?(ssm: SsmHandle, pass: number): SsmStatus;
  liveVote?(ssm: SsmHandle, pass: number): SsmStatus;
  savePrep?(ssm: SsmHandle): SsmStatus;
  saveExec?(ssm: SsmHandle): SsmStatus;
  saveDone?(ssm: SsmHandle): SsmStatus;
  loadPrep?(ssm: SsmHandle): SsmStatus;
  loadExec?(ssm: SsmHandle, version: number, pass: number): SsmStatus | SsmSlices;
  loadDone?(ssm: SsmHandle): SsmStatus;
}

export interface SsmUnitOptions extends SsmUnitCallbacks {
  /** 1..47 characters. */
  name: string;
  instance?: number;
  /** The data unit version written into each unit header and passed to loadExec. */
  version: number;
  /** Guessed size in bytes (progress and the live-save size cap). */
  cbGuess?: number;
  /**
   * What the callbacks work on (SSMUNIT's pVM / pDevIns / pvUser), read in a callback as `unitOwner(ssm)`: the
   * callbacks can then be plain code shared by every VM, and a copied VM copies no function per unit.
   */
  owner?: unknown;
  /** Insert in front of the first unit with this name; appended when absent or not found. */
  before?: string;
  /** A table every VM's unit of this kind shares (sharedCallbacks), in place of the nine callback fields. */
  table?: SsmUnitCallbacks;
}

/**
 * The callback table of one kind of the engine's units (code-table functions only), shared by every VM's unit of
 * that kind: frozen and named, so a copied or snapshotted registry shares it rather than copying a table per unit.
 * (A function declaration: self-units.ts calls it while this module is still loading.)
 */
export function sharedCallbacks(name: string, callbacks: SsmUnitCallbacks): SsmUnitCallbacks {
  const { livePrep, liveExec, liveVote, savePrep, saveExec, saveDone, loadPrep, loadExec, loadDone } = callbacks;
  return defineConstant(`ssm.callbacks.${name}`, Object.freeze({ livePrep, liveExec, liveVote, savePrep, saveExec, saveDone, loadPrep, loadExec, loadDone }));
}

/** One registered unit (SSMUNIT) with the per-operation bookkeeping the drivers keep on it. */
export class SsmUnit {
  readonly name: string;
  readonly instance: number;
  readonly version: number;
  readonly cbGuess: number;
  /**
   * The callbacks as the drivers call them (SSMUNIT::u): a shared table (sharedCallbacks) or the unit's own.
   * Read through `callbacks`; setCallback gives the unit its own table first, so it never changes another VM's.
   * Private (no write past setCallback), under this name all the same: it is the snapshot's field name.
   */
  private _callbacks: SsmUnitCallbacks;
  /** What the callbacks work on (SsmUnitOptions.owner). */
  readonly owner: unknown;
  /** fCalled: a prep/exec callback ran in the current operation (the done run uses it). */
  called = false;
  /** offStream: where this unit's last header went in the current save, or -1. */
  offStream = -1;
  /** fDoneLive: the unit said it needs no more live passes. */
  doneLive = false;
  /** Where a failed callback is reported (the VM of an embedder's unit, so the API call rejects with it). */
  onCallbackError: ((error: UserCallbackError) => void) | undefined;

  constructor(opts: SsmUnitOptions) {
    this.name = opts.name;
    this.instance = opts.instance ?? 0;
    this.version = opts.version;
    this.cbGuess = opts.cbGuess ?? 0;
    this.owner = opts.owner;
    const { livePrep, liveExec, liveVote, savePrep, saveExec, saveDone, loadPrep, loadExec, loadDone } = opts;
    this._callbacks = opts.table ?? { livePrep, liveExec, liveVote, savePrep, saveExec, saveDone, loadPrep, loadExec, loadDone };
  }

  /** The unit's callbacks, to read (maybe the table shared by its kind: replace one with setCallback). */
  get callbacks(): Readonly<SsmUnitCallbacks> {
    return this._callbacks;
  }

  /** Replace one callback of this unit only: a shared table is copied into the unit's own first. */
  setCallback<K extends keyof SsmUnitCallbacks>(name: K, callback: SsmUnitCallbacks[K]): void {
    if (Object.isFrozen(this._callbacks)) this._callbacks = { ...this._callbacks };
    this._callbacks[name] = callback;
  }

  /** Clears the bookkeeping at the start of an operation. */
  reset(): void {
    this.called = false;
    this.offStream = -1;
    this.doneLive = false;
  }
}

persistable('SsmUnit', SsmUnit);

/** The owner of the unit whose callback is running (callUnit sets `ssm.unit` before every callback). */
export function unitOwner<T>(ssm: SsmHandle): T {
  return ssm.unit!.owner as T;
}

/** Checks a unit name the way ssmR3Register does: non-empty, shorter than SSM_MAX_NAME_SIZE. */
export function checkUnitName(name: string, what = 'name'): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new VBoxError(VERR_INVALID_PARAMETER, `SSM unit ${what} must not be empty.`);
  }
  const cchName = Buffer.byteLength(name, 'utf8');
  if (cchName >= SSM_MAX_NAME_SIZE || name.includes('\0')) {
    throw new VBoxError(VERR_OUT_OF_RANGE, `SSM unit ${what} '${name}' is ${cchName} bytes; the limit is ${SSM_MAX_NAME_SIZE - 1}.`);
  }
}

function checkU32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new VBoxError(VERR_INVALID_PARAMETER, `SSM unit ${what} must be a 32-bit unsigned integer, got ${value}.`);
  }
}

/** The unit list of one VM (pVM->ssm.s.pHead) plus the handle SSMR3Cancel can reach. */
export class SsmUnitRegistry {
  private readonly _units: SsmUnit[] = [];
  /** pVM->ssm.s.pSSM: the handle of the operation that can be cancelled now (ssmR3SetCancellable). */
  cancellable: import('./handle.js').SsmHandle | null = null;

  /** A registry with SSM's own units ("SSM", "SSMLiveControl"); pass `selfUnits: false` for a bare list. */
  constructor(opts: { selfUnits?: boolean } = {}) {
    if (opts.selfUnits !== false) registerSelfUnits(this);
  }

  /** SSMR3RegisterInternal / SSMR3RegisterExternal. Throws VERR_SSM_UNIT_EXISTS, VERR_OUT_OF_RANGE, VERR_INVALID_PARAMETER. */
  register(opts: SsmUnitOptions): SsmUnit {
    checkUnitName(opts.name);
    if (opts.before !== undefined) checkUnitName(opts.before, 'before-name');
    checkU32(opts.instance ?? 0, 'instance');
    checkU32(opts.version, 'version');
    if (opts.cbGuess !== undefined && (!Number.isSafeInteger(opts.cbGuess) || opts.cbGuess < 0)) {
      throw new VBoxError(VERR_INVALID_PARAMETER, `SSM unit cbGuess must be a non-negative integer, got ${opts.cbGuess}.`);
    }
    const unit = new SsmUnit(opts);
    if (this.find(unit.name, unit.instance)) {
      throw new VBoxError(VERR_SSM_UNIT_EXISTS, `The data unit '${unit.name}' instance #${unit.instance} already exists.`);
    }
    const at = opts.before === undefined ? -1 : this._units.findIndex((u) => u.name === opts.before);
    if (at < 0) this._units.push(unit);
    else this._units.splice(at, 0, unit);
    return unit;
  }

  /** SSMR3DeregisterInternal: removes (name, instance), or every instance of name when instance is omitted. */
  deregister(name: string, instance?: number): number {
    const before = this._units.length;
    for (let i = this._units.length - 1; i >= 0; i--) {
      const u = this._units[i]!;
      if (u.name === name && (instance === undefined || u.instance === instance)) this._units.splice(i, 1);
    }
    if (this._units.length === before) {
      throw new VBoxError(VERR_SSM_UNIT_NOT_FOUND, `The data unit '${name}' was not found.`);
    }
    return VINF_SUCCESS;
  }

  /** ssmR3Find: the unit registered as (name, instance). */
  find(name: string, instance: number): SsmUnit | undefined {
    return this._units.find((u) => u.name === name && u.instance === instance);
  }

  /** The units in list (save) order. */
  get units(): readonly SsmUnit[] {
    return this._units;
  }

  /** Clears every unit's per-operation bookkeeping: when an operation starts, and when its handle closes. */
  resetUnits(): void {
    for (const unit of this._units) unit.reset();
  }

  /** pVM->ssm.s.cUnits. */
  get cUnits(): number {
    return this._units.length;
  }
}
persistable('SsmUnitRegistry', SsmUnitRegistry);
