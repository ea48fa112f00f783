// Shared pieces of the jobs pages: Jobs API 2.2 calls, run / task states and their colours.

import { api } from '../../lib/api.js';
import { h } from '../../lib/ui.js';

export const JOBS = '/api/2.2/jobs';
/** Ingot's schedule preview with the next fire times (JobScheduleController). */
export const SCHEDULE = '/api/2.0/ingot/jobs';

export const jobHref = (id) => `/ui/jobs/${encodeURIComponent(id)}`;

export async function listAllJobs() {
  const out = [];
  let token = null;
  for (let i = 0; i < 50; i += 1) {
    const res = await api.get(`${JOBS}/list`, { limit: 100, expand_tasks: true, page_token: token });
    out.push(...(res.jobs || []));
    if (!res.has_more || !res.next_page_token) break;
    token = res.next_page_token;
  }
  return out;
}
export const getJob = (id) => api.get(`${JOBS}/get`, { job_id: id });
export const listRuns = (id, limit = 25) => api.get(`${JOBS}/runs/list`, { job_id: id, limit, expand_tasks: true });
export const getRun = (runId) => api.get(`${JOBS}/runs/get`, { run_id: runId });
export const getOutput = (runId) => api.get(`${JOBS}/runs/get-output`, { run_id: runId });
export const runNow = (id, params) => api.post(`${JOBS}/run-now`, { job_id: Number(id), job_parameters: params || undefined });
/** Re-runs the failed tasks of a run and their dependents (Databricks' repair). */
export const repairRun = (runId) => api.post(`${JOBS}/runs/repair`, { run_id: runId, rerun_all_failed_tasks: true, rerun_dependent_tasks: true });
export const cancelRun = (runId) => api.post(`${JOBS}/runs/cancel`, { run_id: runId });
export const getSchedule = (id) => api.get(`${SCHEDULE}/${encodeURIComponent(id)}/schedule`, { count: 5 });
/** Pause or unpause: jobs/update replaces the schedule object as a whole. */
export function setPaused(job, paused) {
  const sched = job.settings.schedule;
  return api.post(`${JOBS}/update`, {
    job_id: job.job_id,
    new_settings: { schedule: { ...sched, pause_status: paused ? 'PAUSED' : 'UNPAUSED' } },
  });
}

/** One word for a run or task: its result when it has one, else its life-cycle state. */
export function runState(x) {
  const st = (x && x.state) || {};
  return String(st.result_state || st.life_cycle_state || 'UNKNOWN').toUpperCase();
}

export const ACTIVE_STATES = new Set(['PENDING', 'QUEUED', 'RUNNING', 'TERMINATING', 'BLOCKED', 'WAITING_FOR_RETRY']);
export const isActiveRun = (r) => {
  const life = String(((r && r.state) || {}).life_cycle_state || '').toUpperCase();
  return ACTIVE_STATES.has(life);
};

const COLORS = {
  SUCCESS: '#1d7f4c', SUCCESS_WITH_FAILURES: '#6aa84f', FAILED: '#be3129', TIMEDOUT: '#be3129', INTERNAL_ERROR: '#be3129',
  UPSTREAM_FAILED: '#e8710a', UPSTREAM_CANCELED: '#c9a227', CANCELED: '#9a5b00', EXCLUDED: '#cdd2db', SKIPPED: '#cdd2db',
  MAXIMUM_CONCURRENT_RUNS_REACHED: '#b58a00', RUNNING: '#2d63d8', PENDING: '#8fb0ee', QUEUED: '#8fb0ee', BLOCKED: '#8fb0ee',
  WAITING_FOR_RETRY: '#7a4fd6', TERMINATING: '#2d63d8',
};
export const stateColor = (st) => COLORS[String(st || '').toUpperCase()] || '#98a0ae';

export function runBadge(x, role = 'run-state') {
  const st = runState(x);
  const kind = ['SUCCESS'].includes(st) ? 'ok'
    : ['FAILED', 'TIMEDOUT', 'INTERNAL_ERROR'].includes(st) ? 'danger'
      : ACTIVE_STATES.has(st) ? 'info running'
        : ['UPSTREAM_FAILED', 'CANCELED', 'UPSTREAM_CANCELED', 'SUCCESS_WITH_FAILURES', 'MAXIMUM_CONCURRENT_RUNS_REACHED'].includes(st) ? 'warn' : '';
  const text = st.charAt(0) + st.slice(1).toLowerCase().replace(/_/g, ' ');
  const el = h('span', { class: `badge ${kind}`, 'data-status': st, 'data-role': role }, text);
  const msg = x && x.state && x.state.state_message;
  if (msg) el.title = msg;
  return el;
}

export function taskType(t) {
  if (!t) return '';
  if (t.pipeline_task) return 'Pipeline';
  if (t.sql_task) return 'SQL';
  if (t.python_task || t.spark_python_task) return 'Python';
  if (t.shell_command_task) return 'Shell';
  if (t.notebook_task) return 'Notebook';
  if (t.run_job_task) return 'Run job';
  return 'Task';
}

export function taskTarget(t) {
  if (t.pipeline_task) return `pipeline ${t.pipeline_task.pipeline_id}${t.pipeline_task.full_refresh ? ' (full refresh)' : ''}`;
  if (t.sql_task) return t.sql_task.statement || (t.sql_task.file && t.sql_task.file.path) || (t.sql_task.query && t.sql_task.query.query_id) || '';
  const py = t.python_task || t.spark_python_task;
  if (py) return [py.python_file, ...(py.parameters || [])].join(' ');
  if (t.shell_command_task) return t.shell_command_task.command;
  return '';
}

/** Run duration in ms (active runs up to now). */
export function runDuration(r) {
  if (!r || !r.start_time) return null;
  const end = r.end_time || (isActiveRun(r) ? Date.now() : null);
  return end ? Math.max(0, end - r.start_time) : null;
}
