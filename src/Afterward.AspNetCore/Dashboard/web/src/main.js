// The Afterward dashboard. Every value from the API is inserted with textContent (never innerHTML), and the page's
// Content-Security-Policy only runs this bundled script, so names and messages always render as text.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';

const root = document.body.dataset.root || '';
const REFRESH_MS = 5000;
const MAX_TABLE_ROWS = 100;

const state = {
  app: new URLSearchParams(location.search).get('app') || '',
  selected: null,
  sort: { web: { key: 'totalMs', desc: true }, background: { key: 'totalMs', desc: true } },
  data: { web: [], background: [] },
  charts: {},
  timer: 0,
};

// ---- tiny DOM helpers ---------------------------------------------------------------------------------------------
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}
const $ = (id) => document.getElementById(id);
const ms = (v) => (v >= 1000 ? (v / 1000).toFixed(2) + ' s' : v.toFixed(v < 10 ? 2 : 0) + ' ms');
const num = (v) => Number(v).toLocaleString('en-US');
const pct = (v) => (v * 100).toFixed(v > 0 && v < 0.01 ? 2 : 1) + ' %';
const rpm = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1)) + ' rpm';

async function api(path, params = {}) {
  const query = new URLSearchParams(params);
  if (state.app) query.set('app', state.app);
  const response = await fetch(`${root}/api/${path}?${query}`, { headers: { accept: 'application/json' } });
  if (!response.ok) {
    let reason = response.statusText;
    try { reason = (await response.json()).error || reason; } catch { /* not JSON */ }
    throw new Error(`${response.status} ${reason}`);
  }
  return response.json();
}

// ---- layout -------------------------------------------------------------------------------------------------------
function layout() {
  const appSelect = el('select', { id: 'app', 'aria-label': 'Application', onchange: (e) => { state.app = e.target.value; state.selected = null; refresh(); } });
  document.body.append(
    el('header', {},
      el('h1', { text: 'Afterward' }),
      appSelect,
      el('span', { id: 'status', class: 'muted', role: 'status' })),
    el('div', { id: 'error', class: 'error', hidden: '' }),
    el('section', { class: 'cards', id: 'cards', 'aria-label': 'Last 30 minutes' }),
    el('section', { class: 'charts' },
      el('figure', {}, el('figcaption', { text: 'Web: throughput and response time' }), el('div', { id: 'chart-web', class: 'chart' })),
      el('figure', {}, el('figcaption', { text: 'Non-web: throughput and duration' }), el('div', { id: 'chart-background', class: 'chart' }))),
    el('section', {},
      el('h2', { text: 'Web transactions' }),
      table('web', [['name', 'Name'], ['count', 'Count'], ['averageMs', 'Avg'], ['minMs', 'Min'], ['maxMs', 'Max'], ['totalMs', 'Total'], ['errors', 'Errors'], ['apdex', 'Apdex']]),
      el('p', { id: 'web-note', class: 'muted' })),
    el('section', {},
      el('h2', { text: 'Non-web transactions (background tasks)' }),
      table('background', [['name', 'Name'], ['count', 'Count'], ['averageMs', 'Avg'], ['minMs', 'Min'], ['maxMs', 'Max'], ['totalMs', 'Total'], ['errors', 'Errors']]),
      el('p', { id: 'background-note', class: 'muted' })),
    el('section', { id: 'detail', class: 'detail', hidden: '', 'aria-live': 'polite' }),
    el('section', {},
      el('h2', { text: 'In flight' }),
      el('table', { id: 'inflight' }, el('thead', {}, el('tr', {}, ...['Transaction', 'Kind', 'Age', ''].map((h) => el('th', { text: h })))), el('tbody')),
      el('p', { id: 'inflight-note', class: 'muted' })),
    el('section', {},
      el('h2', { text: 'Background tasks' }),
      el('div', { id: 'tasks', class: 'counters' }),
      el('h3', { text: 'Recent failures' }),
      el('table', { id: 'failures' }, el('thead', {}, el('tr', {}, ...['Task', 'Exception', 'Message', 'At'].map((h) => el('th', { text: h })))), el('tbody'))),
    el('section', { id: 'durable', hidden: '' },
      el('h2', {}, 'Durable tasks ', el('span', { id: 'durable-store', class: 'muted' })),
      el('div', { id: 'durable-counts', class: 'counters' }),
      el('h3', { text: 'Dead tasks' }),
      el('table', { id: 'dead' }, el('thead', {}, el('tr', {}, ...['Task', 'Id', 'Attempts', 'Last error', 'At', ''].map((h) => el('th', { text: h })))), el('tbody')),
      el('p', { id: 'durable-note', class: 'muted', role: 'status' })));
}

function table(id, columns) {
  const head = el('tr', {}, ...columns.map(([key, label]) => el('th', {
    scope: 'col', 'data-key': key, tabindex: '0', class: key === 'name' ? '' : 'num',
    onclick: () => sortBy(id, key), onkeydown: (e) => { if (e.key === 'Enter') sortBy(id, key); },
  }, label)));
  return el('table', { id, class: 'sortable' }, el('thead', {}, head), el('tbody'));
}

function sortBy(id, key) {
  const sort = state.sort[id];
  sort.desc = sort.key === key ? !sort.desc : key !== 'name';
  sort.key = key;
  renderTable(id);
}

// ---- rendering ----------------------------------------------------------------------------------------------------
function renderApps(apps) {
  const select = $('app');
  if (!state.app && apps.length) state.app = apps[0].name;
  select.replaceChildren(...apps.map((a) => el('option', { value: a.name, text: a.name })));
  select.value = state.app;
}

function card(label, value, sub, id) {
  return el('div', { class: 'card', ...(id ? { id } : {}) }, el('div', { class: 'label', text: label }), el('div', { class: 'value', text: value }), sub ? el('div', { class: 'sub', text: sub }) : null);
}

function renderCards(o) {
  const w = o.web, b = o.background;
  const apdex = w.apdex
    ? card(`Apdex (T = ${ms(o.apdexThresholdMs)})`, w.apdex.score.toFixed(2), `${num(w.apdex.satisfying)} satisfying · ${num(w.apdex.tolerating)} tolerating · ${num(w.apdex.frustrating)} frustrating`, 'apdex')
    : card(`Apdex (T = ${ms(o.apdexThresholdMs)})`, '–', 'no web transactions yet', 'apdex');
  $('cards').replaceChildren(
    el('h2', { class: 'window', text: `Last ${o.windowMinutes >= 30 ? 30 : o.windowMinutes.toFixed(1)} minutes` }),
    el('div', { class: 'group' },
      el('div', { class: 'kind', text: 'Web' }),
      card('Throughput', rpm(w.throughputRpm), `${num(w.count)} requests`, 'web-throughput'),
      card('Response time', ms(w.averageMs), 'average', 'web-average'),
      apdex,
      card('Error rate', pct(w.errorRate), null, 'web-errors')),
    el('div', { class: 'group' },
      el('div', { class: 'kind', text: 'Non-web' }),
      card('Throughput', rpm(b.throughputRpm), `${num(b.count)} tasks`, 'background-throughput'),
      card('Duration', ms(b.averageMs), 'average', 'background-average'),
      card('Error rate', pct(b.errorRate), null, 'background-errors')));
}

function renderCharts(timeline, windowMinutes) {
  // Show the part of the 30 minutes the application has been up (at least 5 minutes), not a flat line before it.
  const last = timeline.points[timeline.points.length - 1].time;
  const points = timeline.points.filter((p) => p.time >= last - Math.max(windowMinutes, 5) * 60);
  const perMinute = 60 / timeline.intervalSeconds;
  const times = points.map((p) => p.time);
  draw('web', [times, points.map((p) => p.webCount * perMinute), points.map((p) => (p.webCount ? p.webAverageMs : null))], 'Response ms');
  draw('background', [times, points.map((p) => p.backgroundCount * perMinute), points.map((p) => (p.backgroundCount ? p.backgroundAverageMs : null))], 'Duration ms');
}

function draw(kind, data, timeLabel) {
  const host = $(`chart-${kind}`);
  const width = Math.max(280, host.clientWidth);
  const existing = state.charts[kind];
  if (existing) {
    existing.setData(data);
    if (Math.abs(existing.width - width) > 4) existing.setSize({ width, height: 220 });
    return;
  }
  state.charts[kind] = new uPlot({
    width, height: 220,
    scales: { x: { time: true }, rpm: { auto: true }, ms: { auto: true } },
    axes: [{}, { scale: 'rpm', label: 'rpm', size: 56 }, { scale: 'ms', label: timeLabel, side: 1, grid: { show: false }, size: 64 }],
    series: [
      {},
      { label: 'Throughput (rpm)', scale: 'rpm', stroke: '#2f6fdb', fill: 'rgba(47,111,219,0.12)', width: 2, points: { show: true, size: 4 } },
      { label: `Average (${timeLabel.split(' ')[1]})`, scale: 'ms', stroke: '#e8710a', width: 2, spanGaps: false, points: { show: true, size: 4 } },
    ],
  }, data, host);
}

function renderTable(id) {
  const rows = [...state.data[id]];
  const { key, desc } = state.sort[id];
  const value = (r) => (key === 'apdex' ? (r.apdex ? r.apdex.score : -1) : r[key]);
  rows.sort((a, b) => {
    const x = value(a), y = value(b);
    const order = typeof x === 'string' ? x.localeCompare(y) : x - y;
    return desc ? -order : order;
  });
  const tableNode = $(id);
  tableNode.querySelectorAll('th').forEach((th) => th.setAttribute('aria-sort', th.dataset.key === key ? (desc ? 'descending' : 'ascending') : 'none'));
  const shown = rows.slice(0, MAX_TABLE_ROWS);
  tableNode.tBodies[0].replaceChildren(...shown.map((r) => {
    const tr = el('tr', { tabindex: '0', class: state.selected === r.metricName ? 'selected' : '', onclick: () => select(r.metricName), onkeydown: (e) => { if (e.key === 'Enter') select(r.metricName); } },
      el('td', { class: 'name', title: r.metricName, text: `${r.group}/${r.name}` }),
      el('td', { class: 'num', text: num(r.count) }),
      el('td', { class: 'num', text: ms(r.averageMs) }),
      el('td', { class: 'num', text: ms(r.minMs) }),
      el('td', { class: 'num', text: ms(r.maxMs) }),
      el('td', { class: 'num', text: ms(r.totalMs) }),
      el('td', { class: r.errors ? 'num bad' : 'num', text: num(r.errors) }));
    if (id === 'web') tr.append(el('td', { class: 'num', text: r.apdex ? r.apdex.score.toFixed(2) : '–' }));
    return tr;
  }));
  if (!shown.length) tableNode.tBodies[0].append(el('tr', {}, el('td', { class: 'muted', colspan: '8', text: 'Nothing recorded yet.' })));
  $(`${id}-note`).textContent = rows.length > MAX_TABLE_ROWS ? `Showing the ${MAX_TABLE_ROWS} of ${rows.length} rows with the most ${key}.` : '';
}

async function select(metricName) {
  state.selected = metricName;
  renderTable('web');
  renderTable('background');
  await renderDetail();
}

async function renderDetail() {
  const panel = $('detail');
  if (!state.selected) { panel.hidden = true; return; }
  let d;
  try { d = await api('transaction', { name: state.selected }); } catch (e) { panel.hidden = true; return; }
  const t = d.transaction;
  const maxBucket = Math.max(1, ...d.histogram.map((b) => b.count));
  panel.hidden = false;
  panel.replaceChildren(
    el('div', { class: 'detail-head' },
      el('h2', { text: t.metricName }),
      el('button', { type: 'button', class: 'close', 'aria-label': 'Close', onclick: () => { state.selected = null; renderDetail(); renderTable('web'); renderTable('background'); } }, '×')),
    el('div', { class: 'stats' },
      ...[['Count', num(t.count)], ['Average', ms(t.averageMs)], ['Min', ms(t.minMs)], ['Max', ms(t.maxMs)], ['p50', ms(d.p50Ms)], ['p95', ms(d.p95Ms)], ['p99', ms(d.p99Ms)], ['Errors', num(t.errors)]]
        .map(([label, value]) => el('div', {}, el('span', { class: 'label', text: label }), el('span', { class: 'value', text: value })))),
    el('h3', { text: 'Duration histogram' }),
    el('div', { class: 'histogram' }, ...d.histogram.filter((b) => b.count > 0).map((b) =>
      el('div', { class: 'bucket' },
        el('span', { class: 'label', text: b.upToMs == null ? 'longer' : `≤ ${ms(b.upToMs)}` }),
        el('span', { class: 'bar' }, el('span', { class: 'fill' })),
        el('span', { class: 'count', text: num(b.count) })))),
    el('h3', { text: 'Slowest recent traces' }),
    ...(d.slowest.length ? d.slowest.map((trace) => waterfall(trace)) : [el('p', { class: 'muted', text: 'No trace kept yet.' })]));
  // Widths are set through the CSSOM, which the Content-Security-Policy allows (no inline style attributes).
  panel.querySelectorAll('.histogram .fill').forEach((fill, i) => {
    const bucket = d.histogram.filter((b) => b.count > 0)[i];
    fill.style.width = `${(bucket.count / maxBucket) * 100}%`;
  });
}

function waterfall(trace) {
  const total = Math.max(trace.durationMs, 0.001);
  const rows = [{ name: 'Transaction', startMs: 0, durationMs: trace.durationMs, depth: 0 }, ...trace.segments]; // segment depth 1 = child of the transaction
  const box = el('div', { class: 'trace' },
    el('div', { class: 'trace-head', text: `${ms(trace.durationMs)} · ended ${new Date(trace.endedAt).toLocaleTimeString()}${trace.error ? ' · error' : ''}${trace.traceId ? ' · trace ' + trace.traceId : ''}` }));
  for (const row of rows) {
    const bar = el('span', { class: 'span-bar' });
    bar.style.left = `${(row.startMs / total) * 100}%`;
    bar.style.width = `${Math.max(0.5, (row.durationMs / total) * 100)}%`;
    const label = el('span', { class: 'span-name', title: row.name, text: row.name });
    label.style.paddingLeft = `${row.depth * 12}px`;
    box.append(el('div', { class: row === rows[0] ? 'span-row root' : 'span-row' }, label, el('span', { class: 'span-track' }, bar), el('span', { class: 'num', text: ms(row.durationMs) })));
  }
  return box;
}

function renderInFlight(f) {
  const body = $('inflight').tBodies[0];
  body.replaceChildren(...f.transactions.map((t) => el('tr', { class: t.overLimit ? 'over' : '' },
    el('td', { class: 'name', text: t.name }),
    el('td', { text: t.kind }),
    el('td', { class: 'num', text: ms(t.ageMs) }),
    el('td', { class: t.overLimit ? 'bad' : 'muted', text: t.overLimit ? `over MaxTransactionDuration (${ms(f.maxTransactionDurationMs)})` : '' }))));
  if (!f.transactions.length) body.append(el('tr', {}, el('td', { class: 'muted', colspan: '4', text: 'Nothing running.' })));
  $('inflight-note').textContent = f.count > f.transactions.length ? `Showing the ${f.transactions.length} oldest of ${f.count}.` : '';
}

function renderTasks(t) {
  $('tasks').replaceChildren(...['queued', 'running', 'completed', 'failed', 'skipped', 'abandoned', 'retried'].map((key) =>
    el('div', { class: `counter ${key}`, id: `tasks-${key}` }, el('span', { class: 'value', text: num(t[key] ?? 0) }), el('span', { class: 'label', text: key }))));
  const body = $('failures').tBodies[0];
  body.replaceChildren(...t.recentFailures.map((f) => el('tr', {},
    el('td', { class: 'name', text: f.task }),
    el('td', { text: f.exceptionType }),
    el('td', { class: 'message', text: f.message }),
    el('td', { text: new Date(f.at).toLocaleTimeString() }))));
  if (!t.recentFailures.length) body.append(el('tr', {}, el('td', { class: 'muted', colspan: '4', text: 'No failures.' })));
}

// Durable tasks: counts come from the store (every instance's tasks); Retry and Delete change it.
async function durable() {
  const response = await fetch(`${root}/api/durable`, { headers: { accept: 'application/json' } });
  if (response.status === 404) return null; // durable tasks are not registered in this app
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
  return response.json();
}

async function change(method, path, note) {
  const response = await fetch(`${root}/api/durable/${path}`, { method, headers: { accept: 'application/json' } });
  let body = {};
  try { body = await response.json(); } catch { /* not JSON */ }
  $('durable-note').textContent = response.ok ? note : `Could not ${method === 'DELETE' ? 'delete' : 'retry'}: ${body.error || response.status}`;
  refresh();
}

function renderDurable(d) {
  const section = $('durable');
  section.hidden = !d;
  if (!d) return;
  $('durable-store').textContent = `(${d.store})`;
  $('durable-counts').replaceChildren(...['scheduled', 'queued', 'running', 'retrying', 'succeeded', 'dead'].map((key) =>
    el('div', { class: `counter ${key}`, id: `durable-${key}` }, el('span', { class: 'value', text: num(d[key] ?? 0) }), el('span', { class: 'label', text: key }))));
  const body = $('dead').tBodies[0];
  body.replaceChildren(...d.recentDead.map((t) => el('tr', { 'data-id': t.id },
    el('td', { class: 'name', text: t.name }),
    el('td', { class: 'muted', text: t.id }),
    el('td', { text: num(t.attempts) }),
    el('td', { class: 'message', text: t.lastError ?? '' }),
    el('td', { text: new Date(t.at).toLocaleTimeString() }),
    el('td', {},
      el('button', { type: 'button', class: 'retry', onclick: () => change('POST', `${encodeURIComponent(t.id)}/retry`, `Task ${t.id} queued again.`) }, 'Retry'),
      el('button', { type: 'button', class: 'delete', onclick: () => change('DELETE', encodeURIComponent(t.id), `Task ${t.id} deleted.`) }, 'Delete')))));
  if (!d.recentDead.length) body.append(el('tr', {}, el('td', { class: 'muted', colspan: '6', text: 'No dead tasks.' })));
}

// ---- refresh loop -------------------------------------------------------------------------------------------------
async function refresh() {
  clearTimeout(state.timer);
  const error = $('error');
  try {
    const apps = await api('applications');
    renderApps(apps);
    if (!state.app) {
      $('status').textContent = 'Waiting for the first transaction…';
    } else {
      const [overview, transactions, inflight, tasks, durableTasks] = await Promise.all([api('overview'), api('transactions'), api('inflight'), api('tasks'), durable()]);
      renderCards(overview);
      renderCharts(overview.timeline, overview.windowMinutes);
      state.data = transactions;
      renderTable('web');
      renderTable('background');
      renderInFlight(inflight);
      renderTasks(tasks);
      renderDurable(durableTasks);
      await renderDetail();
      $('status').textContent = `Updated ${new Date().toLocaleTimeString()}`;
      document.body.dataset.loaded = 'true';
    }
    error.hidden = true;
  } catch (e) {
    error.hidden = false;
    error.textContent = `Could not refresh: ${e.message}`;
  }
  if (!document.hidden) state.timer = setTimeout(refresh, REFRESH_MS);
}

document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
window.addEventListener('resize', () => { for (const [kind, chart] of Object.entries(state.charts)) chart.setSize({ width: Math.max(280, $(`chart-${kind}`).clientWidth), height: 220 }); });
layout();
refresh();
