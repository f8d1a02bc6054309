// The sequence view: one row per step on the virtual time axis, lanes by role (clients → queues → EMTs →
// rendezvous → VM). A message is an arrow from the lane of the actor that caused the step to the lane of the
// actor that took it; what happens inside one lane (a vCPU or EMT-loop move) is a note on that lane.

const LANE_TITLES = { clients: 'clients', queues: 'queues', rendezvous: 'rendezvous', vm: 'VM', other: 'other' };
const laneTitle = (lane) => LANE_TITLES[lane] ?? lane.replace('emt.', 'EMT ');
const ms = (tNs) => (tNs / 1e6).toFixed(3);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class SequenceView {
  constructor(head, body, onPick) {
    this.head = head;
    this.body = body;
    this.onPick = onPick;
    this.rows = new Map();
    this.lanes = [];
    body.addEventListener('click', (e) => {
      const row = e.target.closest('.row[data-step]');
      if (row) onPick(Number(row.dataset.step));
    });
  }

  /** Rebuild every row for the visible steps. */
  render(model, visible) {
    this.lanes = model.lanes();
    this.head.replaceChildren(el('div', 'time', 't (ms)'), ...this.lanes.map((l) => el('div', `lane lane-${l.split('.')[0]}`, laneTitle(l))));
    this.head.style.setProperty('--lanes', String(this.lanes.length));
    this.body.style.setProperty('--lanes', String(this.lanes.length));
    this.rows.clear();
    this.lastT = null;
    this.body.replaceChildren();
    this.append(visible);
  }

  /** Add rows for steps after the ones shown (a live engine's new steps). */
  append(steps) {
    const fragment = document.createDocumentFragment();
    for (const step of steps) {
      const row = this.#row(step, this.lastT);
      this.lastT = step.tNs;
      this.rows.set(step.index, row);
      fragment.append(row);
    }
    this.body.append(fragment);
  }

  #row(step, lastT) {
    const { from, to, label, category } = step.message;
    const row = el('div', `row cat-${category}`);
    Object.assign(row.dataset, {
      step: String(step.index), actor: step.actorId, machine: step.machine ?? '', event: step.event.type,
      source: step.sourceId ?? '', category,
    });
    if (step.event.cpu !== undefined) row.dataset.cpu = String(step.event.cpu);
    if (lastT !== null && step.tNs !== lastT) row.classList.add('time-gap');
    row.title = `#${step.index}  ${step.sourceId ?? '?'} → ${step.actorId}: ${step.event.type}`;
    row.append(el('div', 'time', lastT === step.tNs ? '' : ms(step.tNs)));
    const lanes = el('div', 'lanes');
    for (let i = 0; i < this.lanes.length; i++) {
      const line = el('div', 'lifeline');
      line.style.gridColumn = String(i + 1);
      lanes.append(line);
    }
    const a = Math.max(0, this.lanes.indexOf(from));
    const b = Math.max(0, this.lanes.indexOf(to));
    if (a === b) {
      const note = el('div', 'note', label);
      note.style.gridColumn = String(a + 1);
      lanes.append(note);
    } else {
      const arrow = el('div', `arrow ${b > a ? 'to-right' : 'to-left'}`);
      arrow.style.gridColumn = `${Math.min(a, b) + 1} / ${Math.max(a, b) + 2}`;
      arrow.style.setProperty('--span', String(Math.abs(b - a) + 1));
      arrow.append(el('span', 'label', label));
      lanes.append(arrow);
    }
    row.append(lanes);
    return row;
  }

  /** Move the cursor mark; keep it in view. */
  mark(index) {
    this.body.querySelector('.row.is-cursor')?.classList.remove('is-cursor');
    // A hidden step (filtered out) marks the last visible row before it.
    let row = this.rows.get(index);
    for (let i = index; !row && i >= 0; i--) row = this.rows.get(i);
    if (!row) return;
    row.classList.add('is-cursor');
    const top = row.offsetTop; // the body is the rows' offset parent
    if (top < this.body.scrollTop + 24 || top > this.body.scrollTop + this.body.clientHeight - 48) {
      this.body.scrollTop = Math.max(0, top - this.body.clientHeight / 3);
    }
  }
}
