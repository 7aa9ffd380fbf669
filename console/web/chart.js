// Deliveries per hour by status, as a stacked SVG bar chart drawn here (no library).
import {STATUSES} from './api.js';
import {h, svg} from './dom.js';

const HOUR = 3600 * 1000;
const BAR = 10;  // Width of one hour in viewBox units.
const PLOT_HEIGHT = 160;
const LEFT = 36;
const TOP = 10;
const BOTTOM = 40;
const RIGHT = 24;  // Room for the last hour's label.

function hourLabel(millis) {
  const date = new Date(millis);
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
      `${pad(date.getHours())}:00`;
}

// The chart of `jobs` over the `hours` whole hours that end at `endMillis` (an hour boundary).
// Every bar segment is a <rect class="bar status-X"> with data-status, data-count and data-hour
// (the hour's start, ISO 8601); the legend lists each status's total.
export function hourlyChart(jobs, endMillis, hours) {
  const start = endMillis - hours * HOUR;
  const buckets = Array.from({length: hours}, () => Object.fromEntries(STATUSES.map((s) => [s, 0])));
  const totals = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  for (const job of jobs) {
    const index = Math.floor((job.creation_time_in_millis - start) / HOUR);
    if (index < 0 || index >= hours || !(job.status in totals)) continue;
    buckets[index][job.status] += 1;
    totals[job.status] += 1;
  }
  const highest = Math.max(1, ...buckets.map((b) => STATUSES.reduce((sum, s) => sum + b[s], 0)));
  const scale = PLOT_HEIGHT / highest;
  const width = LEFT + hours * BAR + RIGHT;
  const height = TOP + PLOT_HEIGHT + BOTTOM;
  const base = TOP + PLOT_HEIGHT;

  const grid = [0, highest].map((value) => svg('g', {class: 'tick'},
      svg('line', {x1: LEFT, x2: LEFT + hours * BAR, y1: base - value * scale, y2: base - value * scale}),
      svg('text', {x: LEFT - 4, y: base - value * scale + 4, 'text-anchor': 'end'}, String(value))));
  const bars = [];
  buckets.forEach((bucket, index) => {
    let y = base;
    for (const status of STATUSES) {
      const count = bucket[status];
      if (count === 0) continue;
      const barHeight = count * scale;
      y -= barHeight;
      const hourStart = start + index * HOUR;
      bars.push(svg('rect', {
        'class': `bar status-${status}`,
        'x': LEFT + index * BAR + 1,
        'y': y,
        'width': BAR - 2,
        'height': barHeight,
        'data-status': status,
        'data-count': count,
        'data-hour': new Date(hourStart).toISOString(),
      }, svg('title', {}, `${hourLabel(hourStart)}: ${count} ${status}`)));
    }
  });
  const labels = [];
  for (let index = 0; index <= hours; index += 12) {
    const x = LEFT + index * BAR;
    const [day, time] = hourLabel(start + index * HOUR).split(' ');
    labels.push(svg('line', {class: 'axis-tick', x1: x, x2: x, y1: base, y2: base + 4}),
        svg('text', {'x': x, 'y': base + 16, 'text-anchor': 'middle'}, time),
        svg('text', {'x': x, 'y': base + 30, 'text-anchor': 'middle', 'class': 'day'}, day.slice(5)));
  }
  const total = STATUSES.reduce((sum, s) => sum + totals[s], 0);
  const summary = `${total} deliveries in the last ${hours} hours: ` +
      STATUSES.map((s) => `${totals[s]} ${s}`).join(', ');
  return h('figure', {class: 'chart', id: 'history-chart'},
      svg('svg', {'viewBox': `0 0 ${width} ${height}`, 'role': 'img', 'aria-label': summary,
        'preserveAspectRatio': 'xMinYMin meet'},
      svg('g', {class: 'grid'}, grid),
      svg('line', {class: 'axis', x1: LEFT, x2: LEFT + hours * BAR, y1: base, y2: base}),
      svg('g', {class: 'bars'}, bars), svg('g', {class: 'labels'}, labels)),
      h('figcaption', {},
          h('ul', {class: 'legend', id: 'chart-legend'}, STATUSES.map((status) =>
              h('li', {'data-status': status, 'data-total': totals[status]},
                  h('span', {'class': `swatch status-${status}`, 'aria-hidden': 'true'}),
                  `${status}: ${totals[status]}`)))));
}

export {HOUR};
