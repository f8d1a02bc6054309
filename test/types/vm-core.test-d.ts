/**
 * Type tests (checked by `npm run typecheck`). Goal (issue 12 item 1, the typed part): the per-VM parts the
 * engine and the layers above attach are typed fields of VmCore, not an untyped `ext` bag read through casts.
 * Each `@ts-expect-error` fails the typecheck if the line below it compiles.
 */
import { expectTypeOf } from 'vitest';
import type { Gvmm } from '../../src/gvmm/gvmm.js';
import { attachedSavedState, type VmSavedState } from '../../src/ssm/vm-units.js';
import type { VmHalt } from '../../src/vmm/halt/state.js';
import type { VmComponents } from '../../src/vmm/lifecycle.js';
import type { StatusReceiver } from '../../src/vmm/types.js';
import type { VmCore, VmSsmPort } from '../../src/vmm/vm-core.js';

declare const core: VmCore;

expectTypeOf(core.components).toEqualTypeOf<VmComponents | null>();
expectTypeOf(core.gvmm).toEqualTypeOf<Gvmm | null>();
expectTypeOf(core.halt).toEqualTypeOf<VmHalt | null>();
// The engine names nothing above it: the saved-state part is a port, narrowed by the layer that attaches it.
expectTypeOf(core.ssm).toEqualTypeOf<VmSsmPort | null>();
expectTypeOf(attachedSavedState(core)).toEqualTypeOf<VmSavedState | undefined>();
// Continuations waiting on the VM are named, typed slots.
expectTypeOf(core.onTerminated).toEqualTypeOf<(() => void) | null>();
expectTypeOf(core.resetWaiters).toEqualTypeOf<readonly StatusReceiver[]>();
// @ts-expect-error the untyped bag is gone
void core.ext;
