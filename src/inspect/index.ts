/**
 * `vmm-actors/inspect`: watch the engine's actors. Inspection adapter (XState v5 and v6 forms), the
 * @statelyai/inspect bridge, trace recorder and replayer, websocket streaming, the local viewer and the
 * diagram exporters.
 */
export { ADAPTERS, xstateV5Adapter, xstateV6Adapter, type InspectionAdapter, type InspectionFact, type InspectionProtocol } from './adapter.js';
export { EngineFactSource, type GenericEngineEvent } from './engine-source.js';
export { toSinks, withProtocol, RecordPublisher, type InspectorInput, type RecordSink, type StatelyInspectorLike } from './inspector.js';
export { attachInspection, InspectionSession } from './session.js';
export type * from './records.js';
export { XStateShaper, type InspectedActorRef, type ShapedInspectionEvent } from './xstate-shape.js';
export { TraceRecorder, createTraceRecorder, type RecorderOptions } from './recorder.js';
export { readTrace, traceHeader, choicesOf, inspectionOf, replayTrace, schedChoicesOf, RecordFactReader } from './replayer.js';
export { reproduceRun, compareTraces, type TraceRunner } from './reproduce.js';
export { createWebSocketSink, type WebSocketSink } from './ws-stream.js';
export { toStatelyWire, STATELY_WIRE_VERSION, type StatelyWireEvent } from './stately-wire.js';
export { startStatelyBridge, statelyReachable, STATELY_INSPECTOR_URL, type StatelyBridge } from './stately-bridge.js';
export { startViewer, type ViewerOptions, type ViewerServer } from './server.js';
export { Relay } from './relay.js';
export { machineGraph, graphOf, allMachineGraphs, findTransition, type MachineGraph, type GraphState, type GraphTransition } from './machine-graph.js';
export { exportMachine, renderGraph, diagramFiles, writeDiagrams, EXPORT_FORMATS, type ExportFormat } from './export/index.js';
export { toMermaid, toMermaidFlowchart } from './export/mermaid.js';
export { toDot } from './export/dot.js';
export { toScxml } from './export/scxml.js';
export * from './trace-format.js';
