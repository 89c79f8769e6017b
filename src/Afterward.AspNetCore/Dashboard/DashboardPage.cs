namespace Afterward.AspNetCore.Dashboard;

/// <summary>
/// The dashboard's page: plain HTML and script, no external resources. Every value is inserted with
/// <c>textContent</c>, so names and messages render as text, never as markup.
/// </summary>
internal static class DashboardPage
{
    public const string Html = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Afterward</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #1f2933; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 1.6rem; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e4e7eb; }
th { background: #f5f7fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.counters span { display: inline-block; margin-right: 1.2rem; } .muted { color: #7b8794; }
</style>
</head>
<body>
<h1>Afterward <select id="app" aria-label="application"></select> <span id="apdex" class="muted"></span></h1>
<h2>Web transactions</h2>
<table id="web"><thead><tr><th>Name</th><th>Count</th><th>Avg ms</th><th>Min ms</th><th>Max ms</th><th>Errors</th><th>Apdex</th></tr></thead><tbody></tbody></table>
<h2>Non-web transactions (background tasks)</h2>
<table id="background"><thead><tr><th>Name</th><th>Count</th><th>Avg ms</th><th>Min ms</th><th>Max ms</th><th>Errors</th></tr></thead><tbody></tbody></table>
<h2>Background tasks</h2>
<div class="counters" id="counters"></div>
<table id="failures"><thead><tr><th>Task</th><th>Exception</th><th>Message</th><th>At</th></tr></thead><tbody></tbody></table>
<script>
const base = location.pathname.replace(/\/$/, '');
const select = document.getElementById('app');
function cell(row, text, num) { const td = row.insertCell(); td.textContent = text; if (num) td.className = 'num'; }
function fill(id, rows, web) {
  const body = document.querySelector('#' + id + ' tbody'); body.replaceChildren();
  for (const t of rows) {
    const r = body.insertRow(); cell(r, t.metricName); cell(r, t.count, 1); cell(r, t.averageMs.toFixed(1), 1);
    cell(r, t.minMs.toFixed(1), 1); cell(r, t.maxMs.toFixed(1), 1); cell(r, t.errors, 1);
    if (web) cell(r, t.apdex ? t.apdex.score.toFixed(2) : '', 1);
  }
}
async function refresh() {
  const apps = await (await fetch(base + '/api/applications')).json();
  const current = select.value;
  select.replaceChildren(...apps.map(a => { const o = document.createElement('option'); o.textContent = a.name; o.value = a.name; return o; }));
  if (current && apps.some(a => a.name === current)) select.value = current;
  if (!select.value) return;
  const q = '?app=' + encodeURIComponent(select.value);
  const tx = await (await fetch(base + '/api/transactions' + q)).json();
  fill('web', tx.web, true); fill('background', tx.background, false);
  let s = 0, t = 0, f = 0; for (const w of tx.web) { s += w.apdex.satisfying; t += w.apdex.tolerating; f += w.apdex.frustrating; }
  document.getElementById('apdex').textContent = (s + t + f) ? 'Apdex ' + ((s + t / 2) / (s + t + f)).toFixed(2) : '';
  const tasks = await (await fetch(base + '/api/tasks' + q)).json();
  const counters = document.getElementById('counters'); counters.replaceChildren();
  for (const k of ['queued', 'running', 'completed', 'failed', 'skipped', 'abandoned']) {
    const span = document.createElement('span'); span.textContent = k + ': ' + tasks[k]; counters.appendChild(span);
  }
  const body = document.querySelector('#failures tbody'); body.replaceChildren();
  for (const x of tasks.recentFailures) { const r = body.insertRow(); cell(r, x.task); cell(r, x.exceptionType); cell(r, x.message); cell(r, x.at); }
}
select.addEventListener('change', refresh);
refresh(); setInterval(refresh, 5000);
</script>
</body>
</html>
""";
}
