"""The report's sections, one module each: `SECTION = Section(...)` builds what the section shows from the
study's inputs (tinyrl.reporting.sections.record.ReportInputs), and its one template partial,
`templates/sections/<name>.md.j2`, shows it. The Markdown report is the partials in
tinyrl.reporting.report.SECTIONS' order; the HTML report is that Markdown rendered to HTML with the figures
embedded, so both pages come from the same partial.
"""
