// One job: schedule (cron, time zone, pause state, next fire times) with pause / unpause, Run now,
// the task DAG definition, run history as a timeline (a run matrix plus the selected run's task
// Gantt chart) and the selected task run's output (runs/get-output: logs, error, SQL output).

import { h, add, clear, pageHeader, setTitle, card, showError, showNotice, icon, modal, formatTime, formatRelative, formatDuration, inlineError, spinner } from '../../lib/ui.js';
import { fitWidth } from '../../lib/chart.js';
import {
  getJob, listRuns, getOutput, getSchedule, runNow, setPaused, cancelRun, repairRun, runBadge, runState, isActiveRun, runDuration, taskType, taskTarget,
} from './common.js';
import { runMatrix, taskGantt } from './timeline.js';
import { permissionsButton, myLevels, can, hideUnless } from '../../lib/permissions-editor.js';
import { poller } from '../pipelines/common.js';

function scheduleBody(job, preview) {
  const sched = job.settings.schedule;
  if (!sched) return h('p', { class: 'muted', 'data-role': 'schedule' }, 'No schedule: the job runs when triggered (Run now, the API or another job).');
  const paused = sched.pause_status === 'PAUSED';
  return h('dl', { class: 'kv', 'data-role': 'schedule' },
    h('dt', null, 'Cron (Quartz)'), h('dd', null, h('code', { class: 'inline', 'data-role': 'cron' }, sched.quartz_cron_expression)),
    h('dt', null, 'Time zone'), h('dd', null, sched.timezone_id || 'UTC'),
    h('dt', null, 'State'), h('dd', null, h('span', { class: `badge ${paused ? 'warn' : 'ok'}`, 'data-role': 'pause-status', 'data-status': paused ? 'PAUSED' : 'UNPAUSED' }, paused ? 'Paused' : 'Active')),
    h('dt', null, 'Next runs'), h('dd', { 'data-role': 'next-runs' },
      paused ? h('span', { class: 'muted' }, 'none while paused')
        : preview && (preview.next_runs || []).length
          ? h('span', { class: 'row wrap', style: { gap: '6px' } }, preview.next_runs.map((t) => h('span', { class: 'tag-chip', title: formatRelative(t) }, formatTime(t))))
          : h('span', { class: 'muted' }, preview && preview.error ? preview.error : '—')),
    h('dt', null, 'Max concurrent runs'), h('dd', null, String(job.settings.max_concurrent_runs ?? 1)));
}

function tasksTable(tasks) {
  if (!tasks.length) return h('p', { class: 'muted' }, 'No tasks.');
  return h('table', { class: 'data', 'data-role': 'tasks' },
    h('thead', null, h('tr', null, ['Task', 'Type', 'Runs', 'Depends on', 'Run if', 'Retries', 'Timeout'].map((c) => h('th', null, c)))),
    h('tbody', null, tasks.map((t) => h('tr', { 'data-task': t.task_key },
      h('td', null, h('span', { class: 'id-text' }, t.task_key)),
      h('td', null, taskType(t)),
      h('td', { class: 'wrap' }, t.pipeline_task
        ? h('a', { href: `/ui/pipelines/${encodeURIComponent(t.pipeline_task.pipeline_id)}`, 'data-role': 'pipeline-link' }, taskTarget(t))
        : h('code', { class: 'inline' }, taskTarget(t).slice(0, 160))),
      h('td', null, (t.depends_on || []).map((d) => d.task_key).join(', ') || '—'),
      h('td', null, t.run_if || 'ALL_SUCCESS'),
      h('td', null, t.max_retries ? `${t.max_retries}${t.min_retry_interval_millis ? ` every ${formatDuration(t.min_retry_interval_millis)}` : ''}` : '—'),
      h('td', null, t.timeout_seconds ? `${t.timeout_seconds}s` : '—')))));
}

export async function renderJob(root, params, id) {
  const jobId = Number(id);
  let [job, runs, preview] = await Promise.all([getJob(jobId), listRuns(jobId).then((r) => r.runs || []), getSchedule(jobId).catch(() => null)]);
  const name = job.settings.name || `Job ${jobId}`;
  setTitle(name);
  const taskKeys = (job.settings.tasks || []).map((t) => t.task_key);
  const state = { run: params.query.get('run') ? Number(params.query.get('run')) : null, task: null };

  // ---- header
  const runBtn = h('button', { class: 'btn primary', type: 'button', id: 'run-now' }, icon('pulse'), 'Run now');
  const params0 = job.settings.parameters || [];
  const paramsBtn = params0.length ? h('button', { class: 'btn', type: 'button', id: 'run-with-parameters' }, 'Run with parameters…') : null;
  const pauseBtn = h('button', { class: 'btn', type: 'button', id: 'toggle-pause' });
  const cancelBtn = h('button', { class: 'btn danger', type: 'button', id: 'cancel-run', hidden: true }, 'Cancel run');
  const repairBtn = h('button', { class: 'btn', type: 'button', id: 'repair-run', hidden: true, title: 'Re-run the failed tasks of the selected run and their dependents' }, 'Repair run');
  root.appendChild(pageHeader({
    title: name,
    crumbs: [{ label: 'Jobs', href: '/ui/jobs' }, { label: name }],
    meta: h('div', { class: 'meta-row' },
      h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Job ID'), h('span', { class: 'id-text' }, String(jobId))),
      h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Creator'), job.creator_user_name || '—'),
      h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Created'), formatTime(job.created_time)),
      (job.settings.parameters || []).length ? h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Parameters'),
        job.settings.parameters.map((p) => `${p.name}=${p.default}`).join(', ')) : null),
    actions: [permissionsButton({ type: 'jobs', id: String(jobId) }), cancelBtn, repairBtn, pauseBtn, paramsBtn, runBtn],
  }));
  myLevels('jobs', String(jobId)).then((held) => {
    hideUnless(can(held, 'CAN_MANAGE_RUN'), cancelBtn, repairBtn, paramsBtn, runBtn);
    hideUnless(can(held, 'CAN_MANAGE'), pauseBtn);
  });

  const scheduleHost = h('div');
  const schedCard = card({ title: 'Schedule', body: scheduleHost });
  const tasksCard = card({ title: 'Tasks', hint: `${taskKeys.length} task${taskKeys.length === 1 ? '' : 's'}`, body: tasksTable(job.settings.tasks || []) });
  const matrixHost = h('div', { class: 'timeline-scroll' });
  const ganttHost = h('div', { class: 'timeline-scroll', style: { marginTop: '14px' } });
  const runInfo = h('div', { style: { marginTop: '10px' } });
  const historyCard = card({ title: 'Run history', hint: 'newest right · bar height = duration · click a run or a task', body: h('div', null, matrixHost, runInfo, ganttHost) });
  const logsHost = h('div', { 'data-role': 'task-output' }, h('p', { class: 'muted' }, 'Click a task in the timeline to see its output.'));
  const logsCard = card({ title: 'Task output', body: logsHost });
  root.append(schedCard, tasksCard, historyCard, logsCard);

  function drawSchedule() {
    clear(scheduleHost).appendChild(scheduleBody(job, preview));
    const sched = job.settings.schedule;
    pauseBtn.hidden = !sched;
    if (sched) {
      const paused = sched.pause_status === 'PAUSED';
      pauseBtn.textContent = paused ? 'Unpause' : 'Pause';
      pauseBtn.dataset.action = paused ? 'unpause' : 'pause';
    }
  }

  function selectedRun() {
    return runs.find((r) => r.run_id === state.run) || runs[0] || null;
  }

  function drawHistory() {
    if (!runs.length) {
      clear(matrixHost).appendChild(h('p', { class: 'muted', 'data-role': 'no-runs' }, 'No runs yet. Click Run now to start one.'));
      clear(ganttHost);
      clear(runInfo);
      cancelBtn.hidden = true;
      repairBtn.hidden = true;
      return;
    }
    const run = selectedRun();
    clear(matrixHost).appendChild(runMatrix(runs, taskKeys, {
      selectedRun: run && run.run_id,
      onSelectRun: (rid) => { state.run = rid; drawHistory(); },
      onSelectTask: (rid, t) => { state.run = rid; state.task = t.run_id; drawHistory(); showOutput(t); },
    }));
    clear(runInfo).appendChild(h('div', { class: 'meta-row', style: { marginTop: 0 }, 'data-role': 'selected-run', 'data-run-id': String(run.run_id) },
      h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Run'), h('span', { class: 'id-text' }, String(run.run_id))),
      h('span', { class: 'meta-item' }, runBadge(run)),
      h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Trigger'), run.trigger || '—'),
      h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Started'), formatTime(run.start_time)),
      h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Duration'), formatDuration(runDuration(run))),
      run.state && run.state.state_message ? h('span', { class: 'meta-item muted' }, run.state.state_message) : null));
    clear(ganttHost).appendChild(taskGantt(run, taskKeys, fitWidth(ganttHost, 900), {
      selectedTask: state.task,
      onSelectTask: (rid, t) => { state.task = t.run_id; drawHistory(); showOutput(t); },
    }));
    cancelBtn.hidden = !isActiveRun(run);
    const failed = !isActiveRun(run) && (run.tasks || []).some((t) => ['FAILED', 'TIMEDOUT', 'UPSTREAM_FAILED', 'CANCELED', 'UPSTREAM_CANCELED'].includes(runState(t)));
    repairBtn.hidden = !failed;
    repairBtn.textContent = `Repair run ${run.run_id}`;
  }

  let outputSeq = 0;
  async function showOutput(t) {
    const seq = ++outputSeq;
    clear(logsHost).appendChild(spinner('Loading output…'));
    try {
      const out = await getOutput(t.run_id);
      if (seq !== outputSeq) return;
      const st = runState(t);
      add(clear(logsHost),
        h('div', { class: 'meta-row', style: { marginTop: 0, marginBottom: '10px' }, 'data-role': 'output-task', 'data-task': t.task_key, 'data-task-run-id': String(t.run_id) },
          h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Task'), h('span', { class: 'id-text' }, t.task_key)),
          h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Task run'), h('span', { class: 'id-text' }, String(t.run_id))),
          h('span', { class: 'meta-item' }, runBadge(t, 'task-state')),
          h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Attempt'), String((t.attempt_number || 0) + 1)),
          t.start_time ? h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, 'Duration'), formatDuration((t.end_time || Date.now()) - t.start_time)) : null),
        out.error ? h('div', { class: 'banner error', style: { marginBottom: '10px' } }, h('div', { class: 'banner-body' }, h('span', { class: 'banner-title' }, `${st.toLowerCase()}:`), ' ', h('span', { class: 'banner-message', 'data-role': 'task-error' }, out.error))) : null,
        out.sql_output && out.sql_output.output_text ? [h('div', { class: 'section-title' }, 'SQL output'), h('pre', { class: 'log', 'data-role': 'sql-output' }, out.sql_output.output_text)] : null,
        out.logs !== undefined ? [h('div', { class: 'section-title' }, `Logs${out.logs_truncated ? ' (last 64 KB)' : ''}`), h('pre', { class: 'log', 'data-role': 'task-logs' }, out.logs || '(empty)')]
          : (out.sql_output ? null : h('p', { class: 'muted', 'data-role': 'task-logs' }, 'This task wrote no log.')),
        (t.attempts || []).length > 1 ? [h('div', { class: 'section-title' }, 'Attempts'), h('table', { class: 'data' },
          h('thead', null, h('tr', null, ['#', 'Started', 'Result', 'Message'].map((c) => h('th', null, c)))),
          h('tbody', null, t.attempts.map((a) => h('tr', null, h('td', null, String(a.attempt_number + 1)), h('td', null, formatTime(a.start_time)),
            h('td', null, a.result_state || '—'), h('td', { class: 'wrap' }, a.message || '')))))] : null);
    } catch (e) {
      if (seq === outputSeq) clear(logsHost).appendChild(inlineError(e));
    }
  }

  async function reloadRuns() {
    runs = (await listRuns(jobId)).runs || [];
    drawHistory();
  }

  async function startRun(parameters) {
    runBtn.disabled = true;
    try {
      const r = await runNow(jobId, parameters);
      showNotice('ok', `Run ${r.run_id} started.`);
      state.run = r.run_id;
      state.task = null;
      await reloadRuns();
    } catch (e) {
      showError(e);
    }
    runBtn.disabled = false;
  }
  runBtn.addEventListener('click', () => startRun());
  if (paramsBtn) {
    paramsBtn.addEventListener('click', () => {
      const inputs = (job.settings.parameters || []).map((p) => h('input', { class: 'input', id: `param-${p.name}`, 'data-param': p.name, value: p.default ?? '' }));
      const submit = h('button', { class: 'btn primary', type: 'submit', form: 'run-params-form', id: 'run-params-submit' }, 'Run');
      const cancel = h('button', { class: 'btn', type: 'button' }, 'Cancel');
      const form = h('form', { id: 'run-params-form', novalidate: true },
        (job.settings.parameters || []).map((p, i) => h('div', { class: 'field' }, h('label', { for: `param-${p.name}` }, p.name), inputs[i],
          h('span', { class: 'help' }, `default: ${p.default ?? ''}`))));
      const dlg = modal({ title: `Run ${name} with parameters`, body: form, footer: [cancel, submit] });
      cancel.addEventListener('click', () => dlg.close());
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const values = Object.fromEntries(inputs.map((el) => [el.dataset.param, el.value]));
        dlg.close();
        startRun(values);
      });
      if (inputs[0]) inputs[0].focus();
    });
  }
  pauseBtn.addEventListener('click', async () => {
    const pause = pauseBtn.dataset.action === 'pause';
    pauseBtn.disabled = true;
    try {
      await setPaused(job, pause);
      [job, preview] = await Promise.all([getJob(jobId), getSchedule(jobId).catch(() => null)]);
      drawSchedule();
      showNotice('ok', pause ? 'Schedule paused.' : 'Schedule resumed.');
    } catch (e) {
      showError(e);
    }
    pauseBtn.disabled = false;
  });
  repairBtn.addEventListener('click', async () => {
    const run = selectedRun();
    if (!run) return;
    repairBtn.disabled = true;
    try {
      const r = await repairRun(run.run_id);
      showNotice('ok', `Repair ${r.repair_id} of run ${run.run_id} started: failed tasks and their dependents run again.`);
      await reloadRuns();
    } catch (e) {
      showError(e);
    }
    repairBtn.disabled = false;
  });
  cancelBtn.addEventListener('click', async () => {
    const run = selectedRun();
    if (!run) return;
    cancelBtn.disabled = true;
    try {
      await cancelRun(run.run_id);
      await reloadRuns();
    } catch (e) {
      showError(e);
    }
    cancelBtn.disabled = false;
  });

  drawSchedule();
  drawHistory();
  const first = selectedRun();
  if (first && state.run) {
    const failed = (first.tasks || []).find((t) => ['FAILED', 'TIMEDOUT'].includes(runState(t)));
    if (failed) { state.task = failed.run_id; drawHistory(); showOutput(failed); }
  }

  // Every 1.5 s while a run is active, else every 6 s (scheduled runs show up on their own).
  let ticks = 0;
  poller(root, params, 1500, async () => {
    ticks += 1;
    const active = runs.some(isActiveRun);
    if (!active && ticks % 4 !== 0) return true;
    const before = JSON.stringify(runs.map((r) => [r.run_id, runState(r), (r.tasks || []).map(runState)]));
    await reloadRuns();
    const after = JSON.stringify(runs.map((r) => [r.run_id, runState(r), (r.tasks || []).map(runState)]));
    if (before !== after && state.task) {
      const t = (selectedRun().tasks || []).find((x) => x.run_id === state.task);
      if (t) showOutput(t);
    }
    if (ticks % 20 === 0) preview = await getSchedule(jobId).catch(() => preview);
    return true;
  });
}
