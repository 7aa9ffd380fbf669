// Delivery history of one webhook: filters (status, time window), a chart of the last 3 days
// per hour and status, and the list of jobs as the history API returns them.
import {searchHistory, searchWebhooks, STATUSES} from './api.js';
import {hourlyChart, HOUR} from './chart.js';
import {count, errorBox, formatTime, h, replace} from './dom.js';

const CHART_HOURS = 72;
const WINDOWS = [['1', 'Last hour'], ['24', 'Last 24 hours'], ['72', 'Last 3 days'],
  ['custom', 'Custom']];

// `datetime-local` text for `millis` in local time.
function localInput(millis) {
  const date = new Date(millis - new Date(millis).getTimezoneOffset() * 60000);
  return date.toISOString().slice(0, 16);
}

function jobsTable(jobs) {
  if (jobs.length === 0) return h('p', {id: 'no-jobs'}, 'No deliveries match these filters.');
  return h('div', {class: 'table-wrap'}, h('table', {id: 'history-jobs'},
      h('caption', {}, `${count(jobs.length, 'delivery', 'deliveries')}, newest first`),
      h('thead', {}, h('tr', {}, ['Job', 'Status', 'Created', 'Event', 'Tries', 'Detail'].map(
          (name) => h('th', {scope: 'col'}, name)))),
      h('tbody', {}, jobs.map((job) => h('tr', {'data-job-id': job.id, 'data-status': job.status},
          h('th', {scope: 'row'}, h('code', {}, job.id)),
          h('td', {class: `status status-${job.status}`}, job.status),
          h('td', {}, formatTime(job.creation_time_in_millis)),
          h('td', {}, job.event ? (job.event.name || job.event.id) : '-'),
          h('td', {}, job.try_count === null || job.try_count === undefined ? '-' :
                                                                            String(job.try_count)),
          h('td', {class: 'message'}, job.detail || ''))))));
}

export async function renderHistory(view, ctx, identifier) {
  view.append(h('h1', {}, 'Delivery history'));
  const answer = await searchWebhooks(ctx.org ? {org_identifier: ctx.org} : {});
  const webhooks = answer.webhooks || [];
  if (webhooks.length === 0) {
    view.append(h('p', {id: 'no-webhooks'}, 'There is no webhook here, so no deliveries.'));
    return;
  }
  const selected = webhooks.find((w) => w.id === identifier || w.name === identifier) || webhooks[0];

  const webhookSelect = h('select', {id: 'history-webhook'}, webhooks.map((w) =>
      h('option', {value: w.id, selected: w.id === selected.id},
          ctx.org || webhooks.length === 1 ? w.name : `${w.name} (${w.org ? w.org.name : ''})`)));
  const statusSelect = h('select', {id: 'history-status'}, h('option', {value: ''}, 'Any'),
      STATUSES.map((s) => h('option', {value: s}, s)));
  const windowSelect = h('select', {id: 'history-window'}, WINDOWS.map(([value, label]) =>
      h('option', {value, selected: value === '72'}, label)));
  const now = Date.now();
  const from = h('input', {type: 'datetime-local', id: 'history-from',
    value: localInput(now - 72 * HOUR)});
  const to = h('input', {type: 'datetime-local', id: 'history-to', value: localInput(now)});
  const custom = h('div', {class: 'field-row'},
      h('div', {class: 'field'}, h('label', {for: 'history-from'}, 'From'), from),
      h('div', {class: 'field'}, h('label', {for: 'history-to'}, 'To (before)'), to));
  const showCustom = () => {
    custom.hidden = windowSelect.value !== 'custom';
  };
  windowSelect.addEventListener('change', showCustom);
  showCustom();

  const chartArea = h('section', {'aria-labelledby': 'chart-title'},
      h('h2', {id: 'chart-title'}, 'Deliveries per hour, last 3 days'), h('div', {}));
  const jobsArea = h('section', {'aria-labelledby': 'jobs-title', 'aria-live': 'polite'},
      h('h2', {id: 'jobs-title'}, 'Deliveries'), h('div', {}));

  const filters = h('form', {id: 'history-filters', class: 'filters'},
      h('div', {class: 'field'}, h('label', {for: 'history-webhook'}, 'Webhook'), webhookSelect),
      h('div', {class: 'field'}, h('label', {for: 'history-status'}, 'Status'), statusSelect),
      h('div', {class: 'field'}, h('label', {for: 'history-window'}, 'Time window'), windowSelect),
      custom,
      h('div', {class: 'actions'}, h('button', {type: 'submit', id: 'history-apply'}, 'Apply')));

  const loadChart = async () => {
    const end = Math.ceil(Date.now() / HOUR) * HOUR;
    try {
      const answer = await searchHistory(webhookSelect.value,
          {start_epoch_time_in_millis: end - CHART_HOURS * HOUR});
      replace(chartArea.lastChild, hourlyChart(answer.jobs || [], end, CHART_HOURS));
    } catch (e) {
      replace(chartArea.lastChild, errorBox(e));
    }
  };
  const loadJobs = async () => {
    const filter = {};
    if (statusSelect.value) filter.channel_status = statusSelect.value;
    if (windowSelect.value === 'custom') {
      if (from.value) filter.start_epoch_time_in_millis = new Date(from.value).getTime();
      if (to.value) filter.end_epoch_time_in_millis = new Date(to.value).getTime();
    } else {
      filter.start_epoch_time_in_millis = Date.now() - Number(windowSelect.value) * HOUR;
    }
    try {
      const answer = await searchHistory(webhookSelect.value, filter);
      replace(jobsArea.lastChild, jobsTable(answer.jobs || []));
    } catch (e) {
      replace(jobsArea.lastChild, errorBox(e));
    }
  };
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    loadJobs();
  });
  webhookSelect.addEventListener('change', () => {
    loadChart();
    loadJobs();
  });

  view.append(filters, chartArea, jobsArea);
  await Promise.all([loadChart(), loadJobs()]);
}
