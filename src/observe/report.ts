/** The text form of an observe report, as `vmm-actors observe` prints it. */
import type { ObserveReport } from './observe.js';

export function formatReport(r: ObserveReport): string {
  const out: string[] = [];
  out.push(`${r.file}`);
  out.push(`  VirtualBox ${r.version ?? '?'}${r.revision !== null ? ` r${r.revision}` : ''} on ${r.host ?? '?'}; vCPUs ${r.cpus ?? '?'}; halt method ${r.haltMethod ?? '?'}${r.logOpened ? `; log opened ${r.logOpened}` : ''}`);
  out.push(`  path: ${r.states.length > 0 ? r.states.join(' > ') : '(no VM state change)'}`);
  for (const c of r.changes) out.push(`    ${c.time}  line ${String(c.line).padStart(6)}  ${c.from} -> ${c.to}${c.cause ? `  (${c.cause})` : ''}`);
  out.push(`  ${r.complete ? 'complete' : 'incomplete'}${r.notes.length > 0 ? `: ${r.notes.join('; ')}` : ''}`);
  const v = r.firstViolation;
  out.push(`  conformance: ${r.verdict}${v ? ` — line ${v.line}: ${v.message}` : ''}${r.unsupportedReason ? ` — ${r.unsupportedReason}` : ''}`);
  const d = r.firstDivergence;
  const calls = r.calls.map((c) => {
    const args = c.args.filter((a) => typeof a === 'string' && !a.startsWith('<tmp>/'));
    return `${c.api}${args.length > 0 ? `(${args.join(', ')})` : ''}`;
  }).join(', ');
  out.push(`  re-enactment: ${r.reenact}${r.reenactSkipped ? ` (${r.reenactSkipped})` : ''}${d ? ` — ${d.message}` : ''}${calls ? ` [${calls}]` : ''}`);
  if (d) out.push(`    engine path: ${r.reenactStates.join(' > ')}`);
  return out.join('\n');
}
