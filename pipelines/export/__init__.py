"""Executive exports: the scorecard workbook, the PDF one-pager, flat files, schedules, mail.

run.py        export(ExportRequest, serving) -> files (the `serviq export` command)
periods.py    day / ISO week / month arithmetic, previous period, trend window
queries.py    every query the exports run (the dashboard's shape, same marts)
scorecard.py  ExportData: figures, targets, statuses, family blocks (read once)
charts.py     which dashboard/charts.py definitions are drawn; render.py draws them
workbook.py   xlsxwriter workbook; onepager.py fpdf2 PDF; flat.py CSV / Parquet
files.py      deterministic names and atomic replacement
schedules.py  schedules.yml; scheduler.py passes and catch-up; state.py run log
mail.py       SMTP delivery with retries; cli.py the `export` and `schedule` commands
"""
