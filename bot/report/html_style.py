"""The HTML report's style sheet, its Content-Security-Policy and the legend of its marks.
The policy forbids every script and every fetch: the page needs nothing but its own style."""

from __future__ import annotations

from bot.report.html_chart import NULL_FILL, OUTAGE_FILL, SMALL_FILL

CSP = (
    "default-src 'none'; script-src 'none'; connect-src 'none'; img-src 'none'; "
    "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1a202c;background:#fff}
h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:28px 0 8px}
h3{font-size:15px;margin:18px 0 6px}
header dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}
header dt{font-weight:600}header dd{margin:0}
.note,.total,.privacy{color:#4a5568;font-weight:normal;font-size:13px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:10px 16px}
figure{margin:0;min-width:0}figcaption{font-size:13px;margin-bottom:2px}
svg{display:block;max-width:100%;height:auto}
svg text{font-size:10px;fill:#2d3748}svg text.year{fill:#718096}
svg text.mark{font-size:9px;fill:#7b341e}
.legend{display:flex;flex-wrap:wrap;gap:4px 18px;font-size:13px;margin:4px 0}
.swatch{display:inline-block;width:12px;height:12px;vertical-align:-1px;margin-right:4px;
border:1px solid #a0aec0}
.pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:0 32px}
table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #cbd5e0;padding:3px 8px;text-align:right;white-space:nowrap}
tbody th{text-align:left;font-weight:600}tr.group th{background:#edf2f7;text-align:left}
td.small{background:#fefcbf}td.null{color:#718096}tr.outage td,tr.outage th{background:#fff5f5}
.scroll{overflow:auto;max-width:100%;width:max-content;max-height:32em;border:1px solid #cbd5e0}
.scroll table{border:0}.scroll.short{max-height:20em;margin-top:8px}
.scroll thead th{position:sticky;top:0;background:#edf2f7;z-index:1}
.scroll tbody th{position:sticky;left:0;background:#fff}
"""


def legend() -> str:
    """What each mark of the charts means."""
    marks = [
        ("#2b6cb0", "a bar: the value (axes start at 0)"),
        (SMALL_FILL, "fewer than the small-cell threshold (suppressed, not 0)"),
        (NULL_FILL, "n/a: nothing to compute"),
        (OUTAGE_FILL, "carebot did not run that week (an outage, not a week of zeros)"),
    ]
    items = "".join(
        f'<span><span class="swatch" style="background:{colour}"></span>{text}</span>'
        for colour, text in marks
    )
    return f'<p class="legend">{items}</p>'
