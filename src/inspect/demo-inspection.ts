/**
 * The inspection options of `vmm-actors demo` (and `record`): `--trace` records, `--inspect-ws` streams,
 * `--inspect` opens the Stately inspector when it is reachable and says so when it is not. Whatever fails
 * on the way (no network, nobody listening) is reported once and the demo runs anyway; nothing waits on a
 * socket that will never answer.
 */
import type { InspectorInput } from './inspector.js';
import { TraceRecorder } from './recorder.js';
import { openInBrowser, startStatelyBridge, statelyReachable, STATELY_INSPECTOR_URL, type StatelyBridge } from './stately-bridge.js';
import { INSPECT_TOKEN_ENV } from './http-guard.js';
import { createWebSocketSink } from './ws-stream.js';

export interface DemoInspectionOptions {
  /** `--trace file.jsonl` */
  trace?: string;
  /** `--inspect-ws ws://…` */
  inspectWs?: string;
  /** `--inspect`: the Stately inspector. */
  inspect?: boolean;
  /** Written into the trace header so `record --from` can rebuild the run. */
  source?: string;
  setup: Record<string, unknown>;
  out: (line: string) => void;
  /** For tests: whether stately.ai answers (default: a HEAD request with a 3 s bound). */
  isOnline?: () => Promise<boolean>;
  /** Open the bridge page in a browser (default true). */
  openBrowser?: boolean;
}

export interface DemoInspection {
  /** For `createVMM({ inspect })`; undefined when nothing inspects (and inspection costs nothing). */
  readonly inspect: InspectorInput | undefined;
  readonly recorder: TraceRecorder | undefined;
  readonly bridge: StatelyBridge | undefined;
  /** After the run: close the trace, drain the socket; with a Stately bridge, serve until `stop` resolves. */
  finish(stop?: Promise<void>): Promise<void>;
}

export async function openDemoInspection(options: DemoInspectionOptions): Promise<DemoInspection> {
  const inspectors: InspectorInput[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  let recorder: TraceRecorder | undefined;
  let bridge: StatelyBridge | undefined;
  if (options.trace) {
    const file = options.trace;
    const r = (recorder = new TraceRecorder({ source: options.source ?? 'demo', setup: options.setup, file }));
    inspectors.push(r);
    closers.push(() => {
      r.close();
      options.out(`trace: ${r.count} records written to ${file} (view it: vmm-actors view ${file})`);
    });
  }
  if (options.inspectWs) {
    const url = options.inspectWs;
    const sink = createWebSocketSink(url, {
      token: process.env[INSPECT_TOKEN_ENV],
      onError: (error) => options.out(`--inspect-ws: cannot reach ${url} (${error.message}); running without it`),
    });
    inspectors.push(sink);
    closers.push(async () => {
      await sink.close();
      if (sink.sent > 0) options.out(`--inspect-ws: ${sink.sent} records sent to ${url}`);
    });
  }
  if (options.inspect) {
    const online = await (options.isOnline ?? (() => statelyReachable()))();
    if (!online) {
      options.out(
        `--inspect: the Stately inspector (${STATELY_INSPECTOR_URL}) is not reachable from here (offline?); running without it.` +
          ' Offline, record with --trace run.jsonl and open it with `vmm-actors view run.jsonl`, or watch live with' +
          ' `vmm-actors view --live ws://127.0.0.1:8080` and --inspect-ws with the address it prints.',
      );
    } else {
      // Without the optional @statelyai/inspect package: say so and run without it, as offline.
      const b = (bridge = await startStatelyBridge().catch((error: Error) => {
        options.out(`--inspect: ${error.message}; running without it`);
        return undefined;
      }));
      if (b) {
        inspectors.push(b.inspector);
        options.out(`--inspect: Stately inspector at ${b.url}`);
        if (options.openBrowser ?? true) openInBrowser(b.url);
      }
    }
  }
  return {
    inspect: inspectors.length === 0 ? undefined : inspectors,
    recorder,
    bridge,
    async finish(stop) {
      for (const close of closers) await close();
      if (bridge) {
        options.out(`--inspect: the run is in the Stately inspector at ${bridge.url}; Ctrl-C to stop`);
        await (stop ?? new Promise<void>((resolve) => process.once('SIGINT', () => resolve())));
        await bridge.close();
      }
    },
  };
}
