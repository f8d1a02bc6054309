// The viewer page: loads the machine graphs and the trace from its own server (or follows a live relay),
// then keeps three things in step with one cursor: the statecharts, the sequence view and the details.
import { highlight, renderChart, setZoom } from './charts.js';
import { matchesActor, TraceModel } from './model.js';
import { SequenceView } from './sequence.js';

const $ = (id) => document.getElementById(id);
const ms = (tNs) => (tNs / 1e6).toFixed(3);

const state = {
  model: new TraceModel(),
  graphs: [],
  charts: new Map(), // machine → { card, chart, select, label }
  cursor: -1,
  filter: '',
  categories: new Set(['vm', 'request', 'rendezvous', 'vcpu', 'error', 'other']),
  visible: [],
  live: false,
  follow: true,
};
window.viewer = state;

const sequence = new SequenceView($('seq-head'), $('seq-body'), (index) => go(index));

function isVisible(step) {
  return state.categories.has(step.message.category) && matchesActor(step, state.filter);
}

function recompute() {
  state.visible = state.model.steps.filter(isVisible);
  state.shown = state.model.steps.length;
  state.lanes = state.model.lanes().join();
  sequence.render(state.model, state.visible);
  refreshFilterOptions();
  refreshInstanceOptions();
}

/** New steps from a live engine: append their rows, unless the lanes changed (then redraw). */
function update() {
  if (state.model.lanes().join() !== state.lanes) return recompute();
  const fresh = state.model.steps.slice(state.shown).filter(isVisible);
  state.shown = state.model.steps.length;
  state.visible.push(...fresh);
  sequence.append(fresh);
  refreshFilterOptions();
  refreshInstanceOptions();
}

/** Move the cursor to step `index` (-1: before the first) and redraw what depends on it. */
function go(index) {
  const steps = state.model.steps;
  state.cursor = Math.max(-1, Math.min(index, steps.length - 1));
  state.follow = state.cursor === steps.length - 1;
  const step = steps[state.cursor];
  $('step-input').value = String(state.cursor);
  $('step-count').textContent = `/ ${steps.length - 1}`;
  $('time-input').value = step ? ms(step.tNs) : '0.000';
  sequence.mark(state.cursor);
  for (const [machine, entry] of state.charts) drawChart(machine, entry);
  $('details').textContent = step ? describe(step) : 'before the first step: every actor in its initial state';
  const url = new URL(location.href);
  url.hash = `step=${state.cursor}${state.filter ? `&actor=${encodeURIComponent(state.filter)}` : ''}`;
  history.replaceState(null, '', url);
}

function describe(step) {
  const who = step.sourceId ? `${step.sourceId} → ` : '';
  const move = step.signal ? '(no state change)' : step.from === step.to ? `stays ${step.to}` : `${step.from} → ${step.to}`;
  const payload = Object.entries(step.event).filter(([k]) => k !== 'type').map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  const ctx = step.context === undefined ? '' : `   context ${JSON.stringify(step.context)}`;
  return `#${step.index}  t=${ms(step.tNs)} ms   ${who}${step.actorId}: ${step.event.type} ${payload}   ${move}${ctx}`;
}

/** Which instance a chart shows: the pinned one, else the latest of its machine up to the cursor. */
function instanceFor(machine, entry) {
  if (entry.select.value) return entry.select.value;
  const recent = state.model.latestOfMachine(machine, state.cursor, (s) => matchesActor(s, state.filter) || !state.filter);
  if (recent) return recent.actorId;
  for (const actor of state.model.actors.values()) if (actor.machine === machine) return actor.id;
  return null;
}

function drawChart(machine, entry) {
  const actorId = instanceFor(machine, entry);
  entry.card.dataset.actor = actorId ?? '';
  if (!actorId) {
    entry.label.textContent = 'no instance in this trace';
    highlight(entry.chart, null, null);
    return;
  }
  const value = state.model.valueAt(actorId, state.cursor);
  const last = state.model.lastStepOf(actorId, state.cursor);
  entry.card.dataset.value = value;
  entry.label.textContent = `${actorId}: ${value}${last ? `  (${last.event.type} at ${ms(last.tNs)} ms)` : ''}`;
  highlight(entry.chart, value, last);
}

function stepBy(direction) {
  const visible = state.visible;
  if (direction > 0) {
    const next = visible.find((s) => s.index > state.cursor);
    if (next) go(next.index);
  } else {
    const prev = [...visible].reverse().find((s) => s.index < state.cursor);
    go(prev ? prev.index : -1);
  }
}

function refreshFilterOptions() {
  const select = $('actor-filter');
  const wanted = ['', ...[...new Set([...state.model.actors.values()].map((a) => a.rootId))].filter((r) => /^vm\./.test(r)).map((r) => `${r}/*`),
    ...state.model.actors.keys()];
  if (select.options.length === wanted.length) return;
  select.replaceChildren(...wanted.map((value) => {
    const option = document.createElement('option');
    option.value = value;
    option.textContent = value === '' ? 'all actors' : value.endsWith('/*') ? `${value.slice(0, -2)} and its actors` : value;
    return option;
  }));
  select.value = state.filter;
}

function refreshInstanceOptions() {
  for (const [machine, entry] of state.charts) {
    const ids = [...state.model.actors.values()].filter((a) => a.machine === machine).map((a) => a.id);
    if (entry.select.options.length === ids.length + 1) continue;
    const current = entry.select.value;
    const follow = document.createElement('option');
    follow.value = '';
    follow.textContent = 'follow the cursor';
    entry.select.replaceChildren(follow, ...ids.map((id) => {
      const option = document.createElement('option');
      option.value = option.textContent = id;
      return option;
    }));
    entry.select.value = current;
  }
}

async function buildCharts() {
  const container = $('charts');
  for (const graph of state.graphs) {
    const card = document.createElement('section');
    card.className = `chart-card chart-${graph.name}`;
    card.dataset.machine = graph.name;
    card.innerHTML = `<header><h2></h2><span class="chart-state"></span><select class="zoom" title="zoom">
      <option value="fit">fit</option><option value="0.5">50%</option><option value="0.75">75%</option><option value="1">100%</option>
      </select><select class="instance" title="instance"></select></header><div class="chart"></div>`;
    card.querySelector('h2').textContent = graph.name;
    container.append(card);
    const select = card.querySelector('select.instance');
    const zoom = card.querySelector('select.zoom');
    const chart = await renderChart(card.querySelector('.chart'), graph, `chart-${graph.name}`);
    const entry = { card, chart, select, label: card.querySelector('.chart-state') };
    select.addEventListener('change', () => drawChart(graph.name, entry));
    // Charts much wider than their card (the VM's 31 states) open zoomed in on the current state.
    zoom.value = chart.width > 1.6 * card.clientWidth ? '0.75' : 'fit';
    zoom.addEventListener('change', () => setZoom(chart, zoom.value));
    setZoom(chart, zoom.value);
    state.charts.set(graph.name, entry);
  }
}

function wireControls() {
  $('btn-first').onclick = () => go(-1);
  $('btn-prev').onclick = () => stepBy(-1);
  $('btn-next').onclick = () => stepBy(1);
  $('btn-last').onclick = () => go(state.model.steps.length - 1);
  $('step-input').onchange = () => go(Number($('step-input').value) || 0);
  $('time-input').onchange = () => go(state.model.stepAtTime(Math.round(Number($('time-input').value) * 1e6)));
  $('actor-filter').onchange = () => {
    state.filter = $('actor-filter').value;
    recompute();
    go(state.cursor);
  };
  for (const box of document.querySelectorAll('input[data-category]')) {
    box.checked = state.categories.has(box.dataset.category);
    box.onchange = () => {
      if (box.checked) state.categories.add(box.dataset.category);
      else state.categories.delete(box.dataset.category);
      recompute();
      go(state.cursor);
    };
  }
  document.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
    if (e.key === 'ArrowRight' || e.key === 'j') stepBy(1);
    else if (e.key === 'ArrowLeft' || e.key === 'k') stepBy(-1);
    else if (e.key === 'Home') go(-1);
    else if (e.key === 'End') go(state.model.steps.length - 1);
  });
}

function followLive() {
  const socket = new WebSocket(`ws://${location.host}/`);
  let scheduled = false;
  let dropped = '';
  socket.onmessage = (message) => {
    let record;
    try {
      record = JSON.parse(message.data);
    } catch {
      return;
    }
    // The relay's replay buffer is bounded: it says first how much of the run's start it no longer has.
    if (record?.type === '@vmm-actors.relay.dropped') {
      dropped = ` · ${record.dropped} earlier messages dropped by the relay (buffer full)`;
      $('live').dataset.dropped = String(record.dropped);
      $('live').textContent = `live${dropped}`;
      return;
    }
    state.model.add(record);
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      const atEnd = state.follow;
      update();
      go(atEnd ? state.model.steps.length - 1 : state.cursor);
    });
  };
  socket.onclose = () => ($('live').textContent = `live: disconnected${dropped}`);
  socket.onopen = () => ($('live').textContent = `live${dropped}`);
}

async function main() {
  const [graphs, trace] = await Promise.all([fetch('/api/machines').then((r) => r.json()), fetch('/api/trace').then((r) => r.json())]);
  state.graphs = graphs;
  state.live = trace.mode === 'live';
  $('title').textContent = trace.title;
  const setup = trace.header ? Object.entries(trace.header.setup).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(' · ') : '';
  $('trace-info').textContent = trace.header ? `${trace.header.source} · ${setup}` : '';
  for (const record of trace.records) state.model.add(record);
  state.model.flush();
  await buildCharts();
  wireControls();
  const params = new URLSearchParams(location.hash.slice(1));
  state.filter = params.get('actor') ?? '';
  recompute();
  go(params.has('step') ? Number(params.get('step')) : -1);
  if (state.live) followLive();
  document.body.dataset.ready = 'true';
}

main().catch((error) => {
  $('details').textContent = `viewer failed: ${error?.stack ?? error}`;
  document.body.dataset.ready = 'error';
});
