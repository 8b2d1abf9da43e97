"""How the plan looks: the colours the page and the chart share (a phase's colour is the same
in the week list, the page's chart and the PNG `racecal plan chart` draws) and the page's CSS."""

from __future__ import annotations

PHASE_COLOURS = {
    "offseason": "#9e9e9e",
    "base": "#43a047",
    "strength": "#f9a825",
    "race-specific": "#ef6c00",
    "taper": "#00acc1",
    "recovery": "#8e24aa",
}
KIND_COLOURS = {"run": "#1e63c6", "strength": "#c0392b"}

# Mobile first: the rules outside the media query are the phone's list of days.
CSS = """
*{box-sizing:border-box}
body{font:15px/1.4 system-ui,sans-serif;margin:12px;color:#222;background:#fafafa;
 overflow-wrap:anywhere}
h1{font-size:20px;margin:0 0 4px}
nav a{margin-right:12px;display:inline-block;padding:4px 0}
.meta{color:#555;margin:4px 0 12px}
.next{font-size:16px;margin:4px 0}
.banner{background:#fff4e0;border:1px solid #e0a040;border-left:6px solid #e08a00;
 padding:8px 10px;margin:10px 0;color:#5a3600}
.paces{margin:8px 0;padding:6px 10px;border-left:4px solid #6a8caf;background:#f3f7fb}
.paces p{margin:4px 0}.paces ul{margin:2px 0 2px 18px;padding:0}
.legend span{display:inline-block;margin:0 10px 4px 0}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
svg.chart{display:block;width:100%;height:auto;margin:8px 0}
#volume-chart{display:none}
.dayhead{display:none}
.week{background:#fff;border:1px solid #ddd;border-left:6px solid;margin:10px 0}
.wk{padding:6px 8px}
.wk h2{font-size:15px;margin:0;display:inline}
.totals{margin:0;padding:0 8px 6px;color:#333;font-size:14px}
ol.days{list-style:none;margin:0;padding:0}
li.day{border-top:1px solid #eee;padding:6px 8px;min-width:0;overflow-wrap:anywhere}
li.day.rest{color:#888;padding:3px 8px}
li.today{background:#fffbe6;box-shadow:inset 3px 0 0 #222}
.date{color:#555;font-size:13px}
.dow{font-weight:bold;color:#333}
.now{background:#222;color:#fff;border-radius:3px;padding:0 5px;margin-left:4px;font-size:12px}
.outside{border:1px dashed #888;border-radius:3px;padding:2px 5px;margin:3px 0;color:#444}
.race{background:#b71c1c;color:#fff;border-radius:3px;padding:2px 5px;margin:3px 0;
 font-weight:bold}
details.s,.gone{border-left:4px solid;border-radius:3px;margin:3px 0;padding:2px 4px}
details.s summary{cursor:pointer;list-style:none}
details.s pre{white-space:pre-wrap;font-size:12px;margin:4px 0;background:#fff;padding:4px}
details.run{border-left-color:#1e63c6}details.strength{border-left-color:#c0392b}
.gone{border-left-color:#999;color:#777}
.tag{font-size:12px;color:#555}
form.release{display:inline;margin-left:4px}form.release button{font-size:12px}
.warnings{margin-top:16px;color:#7a4a00}
.deleted li{margin:4px 0}
svg text{font:11px system-ui,sans-serif;fill:#333}
@media (min-width:720px){
 body{font-size:14px;margin:16px}
 #volume-chart{display:block}#volume-chart-narrow{display:none}
 .dayhead{display:grid;grid-template-columns:repeat(7,minmax(0,1fr));margin-left:118px;
  color:#555;font-weight:bold;padding:0 4px}
 .week{display:grid;grid-template-columns:112px minmax(0,1fr);margin:0;border-top:0}
 .dayhead+.week{border-top:1px solid #ddd}
 .wk{grid-column:1;grid-row:1/span 2;border-right:1px solid #ddd;padding:3px 4px}
 .wk h2{display:block;font-size:13px}.wk .sep{display:none}
 ol.days{grid-column:2;grid-row:1;display:grid;grid-template-columns:repeat(7,minmax(0,1fr))}
 .totals{grid-column:2;grid-row:2;padding:2px 6px;border-top:1px solid #eee;font-size:12px}
 li.day,li.day.rest{border-top:0;border-left:1px solid #eee;padding:3px;font-size:12px}
 li.day:first-child{border-left:0}
 li.today{box-shadow:inset 0 0 0 2px #222}
 .dow,.restword{display:none}
 .date{font-size:11px}
}
"""
