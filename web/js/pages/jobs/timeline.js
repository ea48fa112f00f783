// Run history of a job as SVG: a matrix of the recent runs (one column per run, oldest left — a bar
// whose height is the run's duration and colour its state, then one cell per task) and a Gantt chart
// of one run's tasks (bars from each task's start to its end, with the duration).

import { s, formatDuration, formatTime } from '../../lib/ui.js';
import { runState, stateColor, runDuration, isActiveRun } from './common.js';

const LABEL_W = 170;
const COL_W = 34;
const BAR_H = 84;
const ROW_H = 24;

function clip(text, max) {
  const t = String(text ?? '');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function hhmm(ms) {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

function taskDuration(t) {
  if (!t.start_time) return null;
  const end = t.end_time || (isActiveRun(t) ? Date.now() : null);
  return end ? Math.max(0, end - t.start_time) : null;
}

/** runs: newest first (as runs/list answers). taskKeys: row order. */
export function runMatrix(runs, taskKeys, { selectedRun, onSelectRun, onSelectTask }) {
  const cols = runs.slice().reverse();
  const width = LABEL_W + Math.max(1, cols.length) * COL_W + 10;
  const height = BAR_H + 22 + taskKeys.length * ROW_H + 8;
  const svg = s('svg', {
    class: 'timeline', viewBox: `0 0 ${width} ${height}`, width: String(width), height: String(height),
    role: 'img', 'aria-label': 'Run history', 'data-role': 'run-matrix', 'data-runs': String(cols.length),
  });
  const maxDur = Math.max(1, ...cols.map((r) => runDuration(r) || 0));
  svg.appendChild(s('text', { class: 'tl-label', x: '4', y: String(BAR_H - 4) }, 'Run duration'));
  svg.appendChild(s('line', { class: 'tl-grid', x1: String(LABEL_W), x2: String(width), y1: String(BAR_H), y2: String(BAR_H) }));
  taskKeys.forEach((k, i) => {
    svg.appendChild(s('text', { class: 'tl-label mono', x: '4', y: String(BAR_H + 22 + i * ROW_H + 15), 'data-task-label': k }, clip(k, 22)));
  });
  cols.forEach((r, ci) => {
    const x = LABEL_W + ci * COL_W + 4;
    const dur = runDuration(r);
    const st = runState(r);
    const bh = Math.max(3, Math.round(((dur || 0) / maxDur) * (BAR_H - 10)));
    const bar = s('rect', {
      class: ['tl-bar', r.run_id === selectedRun ? 'selected' : null].filter(Boolean).join(' '),
      x: String(x), y: String(BAR_H - bh), width: String(COL_W - 8), height: String(bh), rx: '3', fill: stateColor(st),
      'data-run-id': String(r.run_id), 'data-state': st, 'data-duration': String(dur ?? ''),
    }, s('title', null, `Run ${r.run_id} · ${st.toLowerCase()} · ${formatTime(r.start_time)} · ${dur === null ? '—' : formatDuration(dur)}${r.trigger ? ` · ${r.trigger}` : ''}`));
    bar.addEventListener('click', () => onSelectRun(r.run_id));
    svg.appendChild(bar);
    if (ci === 0 || ci === cols.length - 1 || ci % 5 === 0) {
      svg.appendChild(s('text', { class: 'tl-tick', x: String(x + (COL_W - 8) / 2), y: String(BAR_H + 14), 'text-anchor': 'middle' }, hhmm(r.start_time)));
    }
    const byKey = new Map((r.tasks || []).map((t) => [t.task_key, t]));
    taskKeys.forEach((k, i) => {
      const t = byKey.get(k);
      const y = BAR_H + 22 + i * ROW_H + 3;
      if (!t) {
        svg.appendChild(s('rect', { x: String(x), y: String(y), width: String(COL_W - 8), height: String(ROW_H - 8), rx: '3', fill: '#f1f3f6' }));
        return;
      }
      const tst = runState(t);
      const td = taskDuration(t);
      const cell = s('rect', {
        class: 'tl-bar', x: String(x), y: String(y), width: String(COL_W - 8), height: String(ROW_H - 8), rx: '3', fill: stateColor(tst),
        'data-task': k, 'data-run-id': String(r.run_id), 'data-task-run-id': String(t.run_id), 'data-state': tst,
      }, s('title', null, `${k} · run ${r.run_id} · ${tst.toLowerCase()} · ${td === null ? '—' : formatDuration(td)}${t.attempt_number ? ` · attempt ${t.attempt_number + 1}` : ''}`));
      cell.addEventListener('click', () => onSelectTask(r.run_id, t));
      svg.appendChild(cell);
    });
  });
  return svg;
}

/** Gantt chart of one run's tasks; rows in `taskKeys` order. */
export function taskGantt(run, taskKeys, width, { selectedTask, onSelectTask }) {
  const tasks = new Map((run.tasks || []).map((t) => [t.task_key, t]));
  const keys = taskKeys.filter((k) => tasks.has(k)).concat([...tasks.keys()].filter((k) => !taskKeys.includes(k)));
  const t0 = run.start_time || Math.min(...[...tasks.values()].map((t) => t.start_time || Infinity));
  const ends = [...tasks.values()].map((t) => t.end_time || (t.start_time ? Date.now() : 0));
  const t1 = Math.max(t0 + 100, run.end_time || 0, ...ends);
  const plotW = Math.max(200, width - LABEL_W - 90);
  const height = 26 + keys.length * ROW_H + 6;
  const svg = s('svg', {
    class: 'timeline', viewBox: `0 0 ${width} ${height}`, width: String(width), height: String(height),
    role: 'img', 'aria-label': `Tasks of run ${run.run_id}`, 'data-role': 'task-gantt', 'data-run-id': String(run.run_id),
  });
  const X = (ms) => LABEL_W + ((ms - t0) / (t1 - t0)) * plotW;
  for (let i = 0; i <= 4; i += 1) {
    const ms = t0 + ((t1 - t0) * i) / 4;
    const x = X(ms);
    svg.appendChild(s('line', { class: 'tl-grid', x1: x.toFixed(1), x2: x.toFixed(1), y1: '20', y2: String(height - 4) }));
    svg.appendChild(s('text', { class: 'tl-tick', x: x.toFixed(1), y: '13', 'text-anchor': 'middle' }, `+${formatDuration(ms - t0)}`));
  }
  keys.forEach((k, i) => {
    const t = tasks.get(k);
    const y = 26 + i * ROW_H;
    const st = runState(t);
    svg.appendChild(s('text', { class: 'tl-label mono', x: '4', y: String(y + 14) }, clip(k, 22)));
    if (!t.start_time) {
      svg.appendChild(s('text', { class: 'tl-dur', x: String(LABEL_W), y: String(y + 14), 'data-role': 'gantt-bar', 'data-task': k, 'data-state': st },
        st.toLowerCase().replace(/_/g, ' ')));
      return;
    }
    const end = t.end_time || Date.now();
    const x = X(t.start_time);
    const w = Math.max(3, X(end) - x);
    const dur = taskDuration(t);
    const bar = s('rect', {
      class: ['tl-bar', selectedTask === t.run_id ? 'selected' : null].filter(Boolean).join(' '),
      x: x.toFixed(1), y: String(y + 3), width: w.toFixed(1), height: String(ROW_H - 8), rx: '3', fill: stateColor(st),
      'data-role': 'gantt-bar', 'data-task': k, 'data-task-run-id': String(t.run_id), 'data-state': st, 'data-duration': String(dur ?? ''),
    }, s('title', null, `${k} · ${st.toLowerCase()} · ${formatTime(t.start_time)} → ${t.end_time ? formatTime(t.end_time) : 'running'}`));
    bar.addEventListener('click', () => onSelectTask(run.run_id, t));
    svg.appendChild(bar);
    svg.appendChild(s('text', { class: 'tl-dur', x: (x + w + 6).toFixed(1), y: String(y + 14) },
      `${dur === null ? '' : formatDuration(dur)} · ${st.toLowerCase().replace(/_/g, ' ')}`));
  });
  return svg;
}
