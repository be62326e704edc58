"""report.html: one self-contained file (no CDN, no external requests) with inline SVG charts.

Charts: accuracy on the original and each transformed set with bootstrap CIs (one panel per judge),
a judge x transform heatmap of the accuracy drop, and an item viewer with original vs transformed text
and each judge's scores. All report text goes through ``html.escape``; the viewer's data is embedded as
JSON with ``<``, ``>`` and ``&`` escaped and is put on the page with ``textContent`` only. A Content
Security Policy forbids every external load.
"""

from __future__ import annotations

import html
import json
from typing import Any

from judgekit.eval.markdown import drop_text, judge_comparison_tables, num, pct, result_rows
from judgekit.eval.tables import Table, bias_tables, official_tables, view_tables

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d2430;max-width:1280px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #dde;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 4px}ul.muted{margin:4px 0 12px;padding-left:18px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border:1px solid #dde;padding:4px 8px;text-align:right}
th{background:#f3f5f9}td:first-child,td:nth-child(2),th:first-child,th:nth-child(2){text-align:left}
td.text,th.text{text-align:left}
.muted{color:#667;font-size:13px}.charts{display:flex;flex-wrap:wrap;gap:16px}
.panel{border:1px solid #dde;border-radius:6px;padding:8px;background:#fff;overflow-x:auto;max-width:100%}
.viewer{display:grid;grid-template-columns:1fr 1fr;gap:12px}.viewer pre{white-space:pre-wrap;word-wrap:break-word;
background:#f7f8fb;border:1px solid #e3e6ee;border-radius:4px;padding:8px;font-size:12px;max-height:320px;overflow:auto}
.tag{display:inline-block;padding:1px 6px;border-radius:8px;background:#eef;font-size:12px;margin-right:4px}
.bad{background:#fde2e1}.good{background:#dff3e4}select{font-size:13px;max-width:100%}
"""

_JS = """
(function () {
  'use strict';
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function fmt(v) { return (v === null || v === undefined) ? '\\u2013' : (typeof v === 'number' ? String(Number(v.toPrecision(5))) : String(v)); }
  function side(title, texts, judged) {
    var box = el('div');
    box.appendChild(el('h3', title));
    texts.prompt.forEach(function (m) { box.appendChild(el('div', m.role, 'tag')); box.appendChild(el('pre', m.content)); });
    texts.chosen.forEach(function (t, i) { box.appendChild(el('div', 'chosen ' + (i + 1), 'tag good')); box.appendChild(el('pre', t)); });
    texts.rejected.forEach(function (t, i) { box.appendChild(el('div', 'rejected ' + (i + 1), 'tag bad')); box.appendChild(el('pre', t)); });
    var table = el('table');
    var head = el('tr');
    ['judge', 'item value', 'chosen scores', 'rejected scores', 'verdicts'].forEach(function (h) { head.appendChild(el('th', h)); });
    table.appendChild(head);
    Object.keys(judged).sort().forEach(function (name) {
      var j = judged[name][title === 'original' ? 'original' : 'transformed'];
      var row = el('tr');
      row.appendChild(el('td', name));
      row.appendChild(el('td', fmt(j.value)));
      row.appendChild(el('td', (j.scores_chosen || []).map(fmt).join(', ')));
      row.appendChild(el('td', (j.scores_rejected || []).map(fmt).join(', ')));
      row.appendChild(el('td', j.verdicts.join(', ') + (j.errors.length ? ' (' + j.errors.join('; ') + ')' : '')));
      table.appendChild(row);
    });
    box.appendChild(table);
    return box;
  }
  try {
    var items = JSON.parse(document.getElementById('items-data').textContent);
    var select = document.getElementById('item-select');
    var target = document.getElementById('item-view');
    items.forEach(function (item, index) {
      var flips = Object.keys(item.judges).filter(function (n) {
        var j = item.judges[n]; return (j.original.value === 1) !== (j.transformed.value === 1);
      });
      var option = el('option', item.transform + ' \\u00b7 ' + item.id + ' (' + item.subset + ')' + (flips.length ? ' \\u2014 flipped for ' + flips.join(', ') : ''));
      option.value = String(index);
      select.appendChild(option);
    });
    function show(index) {
      while (target.firstChild) { target.removeChild(target.firstChild); }
      var item = items[index];
      if (!item) { return; }
      target.appendChild(side('original', item.original, item.judges));
      target.appendChild(side(item.transform, item.transformed, item.judges));
    }
    select.addEventListener('change', function () { show(Number(select.value)); });
    if (items.length) { show(0); } else { target.appendChild(el('p', 'No transformed items in this run.', 'muted')); }
    document.body.setAttribute('data-ready', '1');
  } catch (error) {
    document.body.setAttribute('data-error', String(error));
    throw error;
  }
})();
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _json_for_script(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    for raw, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def accuracy_chart(judge: str, results: list[dict[str, Any]]) -> str:
    """Bars: accuracy per variant; whiskers: its bootstrap CI."""
    bar, gap, left, top, height = 26, 10, 46, 24, 180
    width = max(left + len(results) * (bar + gap) + 20, left + 8 * len(f"{judge}: accuracy %"))
    parts = [f'<svg class="chart accuracy-chart" role="img" aria-label="accuracy of {_e(judge)}" width="{width}" '
             f'height="{top + height + 110}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="{left}" y="14" font-size="13" font-weight="600">{_e(judge)}: accuracy %</text>']
    for tick in (0, 25, 50, 75, 100):
        y = top + height - height * tick / 100
        parts.append(f'<line x1="{left - 4}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e7ef"/>'
                     f'<text x="{left - 8}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{tick}</text>')
    for k, r in enumerate(results):
        x = left + gap / 2 + k * (bar + gap)
        acc = r.get("accuracy")
        color = "#4c6ef5" if r["variant"] == "original" else "#f08c00"
        if acc is not None:
            h = height * acc
            ci = r.get("accuracy_ci") or [None, None]
            parts.append(f'<rect x="{x:.1f}" y="{top + height - h:.1f}" width="{bar}" height="{h:.1f}" fill="{color}">'
                         f'<title>{_e(r["variant"])}: {pct(acc)}% [{pct(ci[0])}, {pct(ci[1])}], n={r["n_items"]}</title></rect>')
            if ci[0] is not None:
                y1, y2 = top + height - height * ci[0], top + height - height * ci[1]
                cx = x + bar / 2
                parts.append(f'<path d="M{cx:.1f} {y1:.1f}V{y2:.1f}M{cx - 5:.1f} {y1:.1f}h10M{cx - 5:.1f} {y2:.1f}h10" '
                             'stroke="#1d2430" stroke-width="1.2" fill="none"/>')
        label_x, label_y = x + bar / 2, top + height + 8
        parts.append(f'<text x="{label_x:.1f}" y="{label_y}" font-size="10" text-anchor="end" '
                     f'transform="rotate(-55 {label_x:.1f} {label_y})">{_e(r["variant"])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def drop_heatmap(results: list[dict[str, Any]]) -> str:
    """Cells: accuracy drop in points (red = worse after the transform, blue = better)."""
    judges = list(dict.fromkeys(r["judge"] for r in results))
    transforms = list(dict.fromkeys(r["variant"] for r in results if r.get("robustness")))
    if not transforms:
        return '<p class="muted">No transforms in this run.</p>'
    cell_w, cell_h, left, top = 52, 28, max(90, 8 * max(len(j) for j in judges)), 110
    cells = {(r["judge"], r["variant"]): r["robustness"] for r in results if r.get("robustness")}
    drops = [abs(rob["drop"]) for rob in cells.values() if rob.get("drop") is not None]
    scale = max([0.10, *drops])
    width, height = left + cell_w * len(transforms) + 110, top + cell_h * len(judges) + 10
    parts = [f'<svg class="chart drop-heatmap" role="img" aria-label="accuracy drop per judge and transform" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">']
    for t_index, name in enumerate(transforms):
        x = left + t_index * cell_w + cell_w / 2
        parts.append(f'<text x="{x:.1f}" y="{top - 6}" font-size="10" transform="rotate(-50 {x:.1f} {top - 6})">{_e(name)}</text>')
    for j_index, judge in enumerate(judges):
        y = top + j_index * cell_h
        parts.append(f'<text x="{left - 6}" y="{y + cell_h / 2 + 4:.1f}" font-size="11" text-anchor="end">{_e(judge)}</text>')
        for t_index, name in enumerate(transforms):
            rob = cells.get((judge, name))
            x = left + t_index * cell_w
            drop = rob.get("drop") if rob else None
            if drop is None:
                fill, label = "#f1f3f5", "–"
            else:
                alpha = min(1.0, abs(drop) / scale)
                fill = f"rgba(224,49,49,{alpha:.2f})" if drop > 0 else f"rgba(28,126,214,{alpha:.2f})"
                label = f"{100 * drop:+.1f}"
            tip = f"{judge} × {name}: drop {drop_text(rob)} pts" if rob else f"{judge} × {name}: no data"
            parts.append(f'<g><rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{fill}">'
                         f'<title>{_e(tip)}</title></rect><text x="{x + cell_w / 2 - 1:.1f}" y="{y + cell_h / 2 + 3:.1f}" '
                         f'font-size="11" text-anchor="middle">{_e(label)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _sections(title: str, tables: list[Table], intro: str = "", anchor: str = "") -> str:
    """An h2 with one h3 + table + notes per Table ('' when there are none)."""
    if not tables:
        return ""
    parts = [f'<h2 id="{_e(anchor)}">{_e(title)}</h2>']
    if intro:
        parts.append(f'<p class="muted">{_e(intro)}</p>')
    for t in tables:
        parts.append(f"<h3>{_e(t.title)}</h3>{_table(t.headers, t.rows)}")
        if t.notes:
            parts.append('<ul class="muted">' + "".join(f"<li>{_e(n)}</li>" for n in t.notes) + "</ul>")
    return "\n".join(parts)


def render_html(data: dict[str, Any]) -> str:
    suite = data["suite"]
    results = data["results"]
    judges = list(dict.fromkeys(r["judge"] for r in results))
    empty = [t["name"] for t in data["transforms"] if t["applied"] == 0]
    charted = [r for r in results if r["variant"] not in empty]
    charts = "".join(f'<div class="panel">{accuracy_chart(j, [r for r in charted if r["judge"] == j])}</div>'
                     for j in judges)
    skipped = (f'<p class="muted">Not charted: {len(empty)} transform(s) that applied to no item '
               f'({_e(", ".join(empty))}); see the Transforms table.</p>' if empty else "")
    headers, rows = result_rows(results)
    transform_rows = [[t["name"], t["family"], str(t["applied"]), str(t["not_applicable"]), str(t["failed"]),
                       next(iter(t["not_applicable_reasons"]), "")] for t in data["transforms"]]
    judge_rows = [[j["name"], j["kind"], num(j["seconds"], 1), ", ".join(f"{k}={v}" for k, v in j["stats"].items())]
                  for j in data["judges"]]
    extra = "\n".join(x for x in (
        _sections("Official benchmark scores", official_tables(results), "Each computed exactly as the benchmark's "
                  "reference code computes it (package and function named under each table).", "official"),
        _sections("Other views (judgekit's, not official scores)", view_tables(results), anchor="views"),
        _sections("Judge bias", bias_tables(results), anchor="bias")) if x)
    csp = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>judgekit report: {_e(suite['name'])}</title><style>{_CSS}</style></head>
<body>
<h1>judgekit report: {_e(suite['name'])}</h1>
<p class="muted">{_e(suite.get('description') or '')}</p>
<p class="muted">{suite['n_items']} items · seed {suite['seed']} · ties count as {_e(suite['options']['ties'])} ·
failures count as {_e(suite['options']['failures'])} · judgekit {_e(data['judgekit_version'])} · {_e(data['created'])}
· schema {_e(data['schema'])} v{data['schema_version']}</p>
<h2>Accuracy, original vs each transform (bootstrap {int(100 * suite['options']['level'])}% CI)</h2>
<div class="charts" id="accuracy-charts">{charts}</div>
{skipped}
<h2>Accuracy drop (points), judge × transform</h2>
<div class="panel" id="drop-heatmap">{drop_heatmap(charted)}</div>
<h2>All numbers</h2>
{_table(headers, rows)}
{extra}
{judge_comparison_html(data)}
<h2>Transforms</h2>
{_table(["transform", "family", "applied", "not applicable", "failed", "main reason not applicable"], transform_rows)}
<h2>Judges</h2>
{_table(["judge", "kind", "seconds", "stats"], judge_rows)}
<h2>Item viewer</h2>
<p class="muted">Items with flipped decisions first, then those whose scores moved most.</p>
<select id="item-select" aria-label="item"></select>
<div class="viewer" id="item-view"></div>
<script type="application/json" id="items-data">{_json_for_script(data.get('items', []))}</script>
<script>{_JS}</script>
</body></html>
"""


def judge_comparison_html(data: dict[str, Any]) -> str:
    """Judges compared with each other (sweeps, panels, samples, re-prompts), when the report has any."""
    return "".join(f"<h2>{_e(title)}</h2>{_table(headers, rows)}" for title, headers, rows in judge_comparison_tables(data))
