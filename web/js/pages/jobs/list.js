// Jobs list: schedule and pause state, tasks, the last run's state and time. Refreshes while a run is active.

import { h, icon, pageHeader, setTitle, navigate, showError, mapLimit, formatTime, formatRelative, formatDuration } from '../../lib/ui.js';
import { api } from '../../lib/api.js';
import { dataTable } from '../../lib/table.js';
import { JOBS, jobHref, listAllJobs, runBadge, isActiveRun, runDuration } from './common.js';
import { poller } from '../pipelines/common.js';

async function loadRows() {
  const jobs = await listAllJobs();
  return mapLimit(jobs, 4, async (j) => {
    const runs = await api.get(`${JOBS}/runs/list`, { job_id: j.job_id, limit: 1 }).then((r) => r.runs || []).catch(() => []);
    return { job: j, last: runs[0] || null };
  });
}

function scheduleCell(r) {
  const sched = r.job.settings.schedule;
  if (!sched) return h('span', { class: 'muted', 'data-role': 'schedule' }, 'Manual');
  const paused = sched.pause_status === 'PAUSED';
  return h('span', { 'data-role': 'schedule', class: 'row', style: { gap: '6px' } },
    h('code', { class: 'inline' }, sched.quartz_cron_expression),
    h('span', { class: 'muted small' }, sched.timezone_id || 'UTC'),
    h('span', { class: `badge ${paused ? 'warn' : 'ok'}`, 'data-role': 'pause-status', 'data-status': paused ? 'PAUSED' : 'UNPAUSED' }, paused ? 'Paused' : 'Active'));
}

export async function renderList(root, params) {
  setTitle('Jobs');
  let rows = await loadRows();
  const table = dataTable({
    label: 'Jobs',
    rows,
    rowKey: (r) => r.job.job_id,
    pageSize: 25,
    sort: { key: 'name', dir: 'asc' },
    columns: [
      { key: 'name', label: 'Name', sortable: true, value: (r) => r.job.settings.name || '', render: (r) => h('a', { href: jobHref(r.job.job_id), class: 'job-link' }, r.job.settings.name || `Job ${r.job.job_id}`) },
      { key: 'id', label: 'Job ID', sortable: true, value: (r) => r.job.job_id, render: (r) => h('span', { class: 'id-text' }, String(r.job.job_id)) },
      { key: 'schedule', label: 'Schedule', sortable: true, value: (r) => (r.job.settings.schedule ? r.job.settings.schedule.quartz_cron_expression : ''), render: scheduleCell },
      { key: 'tasks', label: 'Tasks', align: 'right', value: (r) => (r.job.settings.tasks || []).length, render: (r) => String((r.job.settings.tasks || []).length) },
      { key: 'last', label: 'Last run', sortable: true, value: (r) => (r.last ? r.last.state.result_state || r.last.state.life_cycle_state : ''), render: (r) => (r.last ? runBadge(r.last, 'last-run-state') : h('span', { class: 'muted', 'data-role': 'last-run-state' }, 'Never run')) },
      { key: 'started', label: 'Started', sortable: true, defaultDir: 'desc', value: (r) => (r.last ? r.last.start_time : null), render: (r) => (r.last ? h('span', { title: formatTime(r.last.start_time) }, formatRelative(r.last.start_time)) : '') },
      { key: 'duration', label: 'Duration', align: 'right', value: (r) => runDuration(r.last), render: (r) => (r.last ? formatDuration(runDuration(r.last)) : '') },
      { key: 'creator', label: 'Creator', sortable: true, value: (r) => r.job.creator_user_name, render: (r) => r.job.creator_user_name || '' },
    ],
    empty: () => h('div', { class: 'empty', style: { padding: '28px 16px' } },
      h('h3', null, 'No jobs yet'),
      h('p', null, 'Create one with the Jobs API (POST /api/2.2/jobs/create), the databricks-sdk or the CLI:'),
      h('pre', { class: 'code', style: { textAlign: 'left' } }, 'ingot jobs create job.yaml\ningot jobs run NAME')),
    onRowClick: (r) => navigate(jobHref(r.job.job_id)),
  });
  const refresh = async () => {
    rows = await loadRows();
    table.setRows(rows);
  };
  root.append(
    pageHeader({
      title: 'Jobs',
      subtitle: 'Scheduled DAGs of pipeline updates, SQL, Python scripts and shell commands — Quartz cron, retries, repair.',
      actions: [
        h('a', { class: 'btn', href: '/ui/pipelines' }, 'Pipelines'),
        h('button', { class: 'btn', type: 'button', id: 'refresh-jobs', onClick: () => refresh().catch(showError) }, icon('refresh'), 'Refresh'),
      ],
    }),
    table.el,
  );
  poller(root, params, 2000, async () => {
    if (rows.some((r) => r.last && isActiveRun(r.last))) await refresh();
  });
}

