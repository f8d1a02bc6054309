// Statecharts drawn by mermaid (served from node_modules, never a CDN) from the machine graphs the server
// reads out of machines/. After rendering, every state node and transition link gets a data attribute, so
// stepping only toggles classes: the current state, the previous one and the transition just taken.

const mermaid = globalThis.mermaid;

mermaid.initialize({
  startOnLoad: false,
  securityLevel: 'strict',
  theme: 'base',
  themeVariables: {
    fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    fontSize: '13px',
    primaryColor: '#eef2fb',
    primaryBorderColor: '#7b8db5',
    primaryTextColor: '#1d2740',
    lineColor: '#8a97b5',
    edgeLabelBackground: '#ffffff',
  },
  flowchart: { curve: 'basis', nodeSpacing: 28, rankSpacing: 46, padding: 6, useMaxWidth: false },
});

/** Render one machine's chart into `container`; returns handles to highlight it. */
export async function renderChart(container, graph, domId) {
  const { svg } = await mermaid.render(domId, graph.flowchart.source);
  container.innerHTML = svg;
  const root = container.querySelector('svg');
  const box = root.viewBox.baseVal;
  root.removeAttribute('style');
  root.removeAttribute('height');
  const nodes = new Map();
  for (const [state, nodeId] of Object.entries(graph.flowchart.nodes)) {
    const el = root.querySelector(`g.node[id^="${domId}-flowchart-${nodeId}-"]`);
    if (el) {
      el.dataset.state = state;
      nodes.set(state, el);
    }
  }
  const labelEls = [...root.querySelectorAll('.edgeLabels > .edgeLabel')];
  const totalLinks = graph.flowchart.links.length + 1;
  const links = new Map();
  for (const link of graph.flowchart.links) {
    const path = root.querySelector(`[data-id="${link.linkId}"]`) ?? root.querySelector(`[id$="-${link.linkId}"]`);
    const label = labelEls.length === totalLinks ? labelEls[link.position] : undefined;
    if (path) path.dataset.transition = String(link.index);
    if (label) label.dataset.transition = String(link.index);
    links.set(link.index, [path, label].filter(Boolean));
  }
  const chart = { root, nodes, links, graph, container, width: box.width, height: box.height, zoom: 'fit' };
  enablePanning(container);
  return chart;
}

/** 'fit' (the whole chart in the card) or a scale (1 = mermaid's size), centred on the current state. */
export function setZoom(chart, zoom) {
  chart.zoom = zoom;
  const scale = zoom === 'fit' ? null : Number(zoom);
  chart.container.classList.toggle('zoomed', scale !== null);
  chart.root.setAttribute('width', scale === null ? '100%' : String(Math.round(chart.width * scale)));
  if (scale === null) chart.root.removeAttribute('height');
  else chart.root.setAttribute('height', String(Math.round(chart.height * scale)));
  centre(chart);
}

/** Scroll a zoomed chart so its current state is in the middle. */
function centre(chart) {
  if (chart.zoom === 'fit') return;
  const node = chart.root.querySelector('g.node.is-current');
  if (!node) return;
  const c = chart.container.getBoundingClientRect();
  const n = node.getBoundingClientRect();
  chart.container.scrollLeft += n.left + n.width / 2 - (c.left + c.width / 2);
  chart.container.scrollTop += n.top + n.height / 2 - (c.top + c.height / 2);
}

function enablePanning(container) {
  let drag = null;
  container.addEventListener('pointerdown', (e) => {
    if (!container.classList.contains('zoomed')) return;
    drag = { x: e.clientX, y: e.clientY, left: container.scrollLeft, top: container.scrollTop };
    container.setPointerCapture(e.pointerId);
  });
  container.addEventListener('pointermove', (e) => {
    if (!drag) return;
    container.scrollLeft = drag.left - (e.clientX - drag.x);
    container.scrollTop = drag.top - (e.clientY - drag.y);
  });
  const stop = () => (drag = null);
  container.addEventListener('pointerup', stop);
  container.addEventListener('pointercancel', stop);
}

/** The transition a step took: same source, target and event (first in definition order, as XState). */
export function transitionOf(graph, step) {
  const sameEnds = (t) => t.source === step.from && (t.target ?? t.source) === step.to;
  return graph.transitions.find((t) => sameEnds(t) && t.event === step.event.type) ?? graph.transitions.find(sameEnds);
}

/** Mark the current state, the previous one and the last transition (null step: only the state). */
export function highlight(chart, value, step) {
  for (const el of chart.root.querySelectorAll('.is-current, .is-previous, .is-last')) {
    el.classList.remove('is-current', 'is-previous', 'is-last');
  }
  chart.nodes.get(value)?.classList.add('is-current');
  centre(chart);
  if (!step) return;
  if (step.from !== step.to) chart.nodes.get(step.from)?.classList.add('is-previous');
  const t = transitionOf(chart.graph, step);
  if (t) for (const el of chart.links.get(t.index) ?? []) el.classList.add('is-last');
}
