"""The style and script of the `judgekit view` page (judgekit.eval.view). The script builds every table from
the embedded JSON with ``textContent`` and ``setAttribute`` only; nothing from a report becomes markup."""

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d2430}
h1{font-size:22px}h2{font-size:17px;margin-top:26px;border-bottom:1px solid #dde;padding-bottom:4px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}th,td{border:1px solid #dde;padding:4px 8px}
th{background:#f3f5f9;cursor:pointer;user-select:none;white-space:nowrap;text-align:left}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td{white-space:nowrap}td.num{text-align:right;font-variant-numeric:tabular-nums}td.sig{font-weight:700}
.muted{color:#667;font-size:13px}.panel{overflow-x:auto;max-width:100%}
.filters{display:flex;flex-wrap:wrap;gap:14px;align-items:center;margin:10px 0;font-size:13px}
select{font-size:13px;max-width:260px}td.empty{color:#99a;text-align:center}td.invisible{color:#889;font-style:italic}
"""

JS = """
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('view-data').textContent);
  var runs = data.runs, rows = data.rows, columns = data.columns;
  var state = {suite: '', judge: '', transform: '', sort: '', dir: 1, psort: '', pdir: 1};
  var DASH = '\\u2013';
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function isNum(v) { return typeof v === 'number' && isFinite(v); }
  function fixed(v, digits, scale, sign) {
    if (!isNum(v)) { return DASH; }
    var text = (v * scale).toFixed(digits);
    return (sign && v * scale >= 0 ? '+' : '') + text;
  }
  function num(v) { return isNum(v) ? String(Number(v.toPrecision(4))) : DASH; }
  function withCi(text, ci, f) {
    if (!ci || (!isNum(ci[0]) && !isNum(ci[1]))) { return text; }
    return text + ' [' + f(ci[0]) + ', ' + f(ci[1]) + ']';
  }
  function cellText(col, row) {
    var v = row[col.key], ci = row[col.key + '_ci'];
    if (col.key === 'run') { return runs[v].name; }
    switch (col.format) {
      case 'text': return v === null || v === undefined ? '' : String(v);
      case 'int': return isNum(v) ? String(v) : DASH;
      case 'pct': return fixed(v, 1, 100, false);
      case 'pct-ci': return withCi(fixed(v, 1, 100, false), ci, function (x) { return fixed(x, 1, 100, false); });
      case 'pts-ci': return withCi(fixed(v, 1, 100, true), ci, function (x) { return fixed(x, 1, 100, true); });
      case 'num-ci': return withCi(num(v), ci, num);
      default: return num(v);
    }
  }
  function sortValue(col, row) {
    var v = row[col.key];
    if (col.key === 'run') { return runs[v].name; }
    return v;
  }
  function compare(a, b, dir) {
    var na = a === null || a === undefined, nb = b === null || b === undefined;
    if (na || nb) { return na === nb ? 0 : (na ? 1 : -1); }  // missing values last, either direction
    if (typeof a === 'number' && typeof b === 'number') { return dir * (a - b); }
    return dir * String(a).localeCompare(String(b));
  }
  function significant(ci) { return ci && isNum(ci[0]) && isNum(ci[1]) && (ci[0] > 0 || ci[1] < 0); }
  function heat(v, scale) {
    if (!isNum(v)) { return ''; }
    var alpha = Math.min(1, Math.abs(v) / scale) * 0.85;
    return (v > 0 ? 'rgba(224,49,49,' : 'rgba(28,126,214,') + alpha.toFixed(2) + ')';
  }
  function readHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ''));
    ['suite', 'judge', 'transform', 'sort', 'psort'].forEach(function (k) { state[k] = params.get(k) || ''; });
    state.dir = params.get('dir') === 'desc' ? -1 : 1;
    state.pdir = params.get('pdir') === 'desc' ? -1 : 1;
  }
  function writeHash() {
    var params = new URLSearchParams();
    ['suite', 'judge', 'transform', 'sort', 'psort'].forEach(function (k) { if (state[k]) { params.set(k, state[k]); } });
    if (state.sort && state.dir < 0) { params.set('dir', 'desc'); }
    if (state.psort && state.pdir < 0) { params.set('pdir', 'desc'); }
    try { history.replaceState(null, '', '#' + params.toString()); } catch (ignored) { /* file: pages may refuse */ }
  }
  function fillSelect(id, key, values) {
    var select = document.getElementById(id);
    select.appendChild(el('option', 'all', null)).value = '';
    values.forEach(function (v) { var o = el('option', v); o.value = v; select.appendChild(o); });
    if (values.indexOf(state[key]) < 0) { state[key] = ''; }
    select.value = state[key];
    select.addEventListener('change', function () { state[key] = select.value; writeHash(); render(); });
  }
  function unique(key) {
    var seen = {}, out = [];
    rows.forEach(function (r) { var v = r[key]; if (!Object.prototype.hasOwnProperty.call(seen, v)) { seen[v] = 1; out.push(v); } });
    return out;
  }
  function visible() {
    return rows.filter(function (r) {
      return (!state.suite || r.suite === state.suite) && (!state.judge || r.judge === state.judge);
    });
  }
  function header(table, cols, sortKey, dir, onSort) {
    var thead = table.tHead, tr = el('tr');
    while (thead.firstChild) { thead.removeChild(thead.firstChild); }
    cols.forEach(function (col) {
      var th = el('th', col.label);
      th.setAttribute('data-col', col.key);
      th.setAttribute('title', 'sort by ' + col.label);
      if (col.key === sortKey) { th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending'); }
      th.addEventListener('click', function () { onSort(col.key); });
      tr.appendChild(th);
    });
    thead.appendChild(tr);
  }
  function runCell(index) {
    var run = runs[index], td = el('td');
    if (run.link) { var a = el('a', run.name); a.setAttribute('href', run.link); td.appendChild(a); } else { td.textContent = run.name; }
    return td;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  function sorted(list, cols, key, dir, value) {
    var col = cols.filter(function (c) { return c.key === key; })[0];
    var indexed = list.map(function (item, i) { return [item, i]; });
    if (col) {
      indexed.sort(function (a, b) { return compare(value(col, a[0]), value(col, b[0]), dir) || a[1] - b[1]; });
    }
    return indexed.map(function (pair) { return pair[0]; });
  }
  function toggle(which, key) {
    var sortKey = which === 'rows' ? 'sort' : 'psort', dirKey = which === 'rows' ? 'dir' : 'pdir';
    if (state[sortKey] === key) { state[dirKey] = -state[dirKey]; } else { state[sortKey] = key; state[dirKey] = 1; }
    writeHash(); render();
  }
  function renderRows(list) {
    var table = document.getElementById('rows-table');
    list = list.filter(function (r) { return !state.transform || r.variant === state.transform; });
    header(table, columns, state.sort, state.dir, function (k) { toggle('rows', k); });
    var body = table.tBodies[0];
    clear(body);
    sorted(list, columns, state.sort, state.dir, sortValue).forEach(function (r) {
      var tr = el('tr');
      tr.setAttribute('data-run', runs[r.run].name);
      columns.forEach(function (col) {
        if (col.key === 'run') { tr.appendChild(runCell(r.run)); return; }
        var td = el('td', cellText(col, r), col.format === 'text' ? null : 'num');
        if (col.key === 'drop' && significant(r.drop_ci)) { td.className += ' sig'; }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    return list.length;
  }
  function renderPivot(list) {
    var table = document.getElementById('pivot-table');
    var variants = [], groups = [], byKey = {};
    list.forEach(function (r) {
      if (r.variant !== 'original' && variants.indexOf(r.variant) < 0 && (!state.transform || r.variant === state.transform)) {
        variants.push(r.variant);
      }
      var key = r.run + '\\u0000' + r.judge;
      if (!byKey[key]) { byKey[key] = {run: r.run, judge: r.judge, suite: r.suite, cells: {}}; groups.push(byKey[key]); }
      byKey[key].cells[r.variant] = r;
    });
    var cols = [{key: 'judge', label: 'judge', format: 'text'}, {key: 'suite', label: 'suite', format: 'text'},
                {key: 'run', label: 'run', format: 'text'}, {key: 'v:original', label: 'original accuracy %', format: 'pct'}];
    variants.forEach(function (v) { cols.push({key: 'v:' + v, label: v, format: 'pts'}); });
    function value(col, g) {
      if (col.key === 'run') { return runs[g.run].name; }
      if (col.key.indexOf('v:') !== 0) { return g[col.key]; }
      var name = col.key.slice(2), cell = g.cells[name];
      return cell ? (name === 'original' ? cell.accuracy : cell.drop) : null;
    }
    var drops = list.map(function (r) { return Math.abs(r.drop); }).filter(isNum);
    var scale = Math.max.apply(null, [0.1].concat(drops));
    header(table, cols, state.psort, state.pdir, function (k) { toggle('pivot', k); });
    var body = table.tBodies[0];
    clear(body);
    sorted(groups, cols, state.psort, state.pdir, value).forEach(function (g) {
      var tr = el('tr');
      tr.setAttribute('data-run', runs[g.run].name);
      cols.forEach(function (col) {
        var v = value(col, g), td;
        if (col.key === 'run') { tr.appendChild(runCell(g.run)); return; }
        if (col.format === 'text') { td = el('td', v); } else if (col.key === 'v:original') {
          td = el('td', fixed(v, 1, 100, false), 'num');
        } else {
          var cell = g.cells[col.key.slice(2)];
          td = el('td', cell ? fixed(v, 1, 100, true) : '', cell ? 'num' : 'empty');
          if (cell) {
            td.style.background = heat(v, scale);
            td.setAttribute('title', cellText({key: 'drop', format: 'pts-ci'}, cell) + ' pts, n=' + cell.n +
                            (cell.invisible ? '; invisible to this judge: its input did not change' : ''));
            if (significant(cell.drop_ci)) { td.className += ' sig'; }
            if (cell.invisible) { td.className += ' invisible'; td.textContent += ' \u2205'; }
          }
        }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }
  function renderRuns() {
    var table = document.getElementById('runs-table');
    var cols = ['run', 'suite', 'created', 'items', 'judges', 'transforms', 'ties', 'failures', 'judgekit'];
    var tr = el('tr');
    cols.forEach(function (c) { tr.appendChild(el('th', c)); });
    table.tHead.appendChild(tr);
    runs.forEach(function (run, index) {
      var row = el('tr');
      row.appendChild(runCell(index));
      [run.suite, run.created, run.n_items, run.judges.join(', '), run.transforms.join(', '), run.ties, run.failures,
       run.judgekit].forEach(function (v) { row.appendChild(el('td', v)); });
      table.tBodies[0].appendChild(row);
    });
  }
  function render() {
    var list = visible();
    renderPivot(list);
    var shown = renderRows(list);
    document.getElementById('shown').textContent = shown + ' of ' + rows.length + ' results shown';
  }
  try {
    readHash();
    fillSelect('filter-suite', 'suite', unique('suite'));
    fillSelect('filter-judge', 'judge', unique('judge'));
    fillSelect('filter-transform', 'transform', unique('variant'));
    renderRuns();
    render();
    document.body.setAttribute('data-ready', '1');
  } catch (error) {
    document.body.setAttribute('data-error', String(error));
    throw error;
  }
})();
"""
