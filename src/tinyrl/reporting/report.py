"""Render report/report.md and a self-contained report/report.html (figures embedded).

The report is its sections (tinyrl.reporting.sections), in SECTIONS' order: each builds what it shows and
renders it with its one Markdown partial (jinja2). The HTML page is the same Markdown rendered by markdown-it
(tables on, raw HTML off, so every name from a config or a file is escaped), with the figures as data URIs and
the answer figures as interactive charts (tinyrl.reporting.interactive).
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import jinja2
import pandas as pd
from markdown_it import MarkdownIt

from tinyrl.analysis.aggregate import markdown_table
from tinyrl.atomic import write_text
from tinyrl.jobs.provenance import provenance
from tinyrl.reporting.figure_specs import FIGURES
from tinyrl.reporting.interactive import frontier_div, plotly_script
from tinyrl.reporting.sections import (
    agents,
    all_variants,
    answers,
    family_tables,
    figures,
    findings,
    heading,
    layers,
    methods,
    off_protocol,
    protocol,
    side_by_side,
    speed,
    study_a,
    study_b,
    targets,
    variant_status,
)
from tinyrl.reporting.sections import provenance as provenance_section
from tinyrl.reporting.sections.record import ReportInputs, Section

# The report's sections, in the order they appear: adding one is its module, its partial and a line here.
SECTIONS: tuple[Section, ...] = tuple(
    module.SECTION
    for module in (
        heading,
        answers,
        agents,
        study_a,
        off_protocol,
        protocol,
        methods,
        findings,
        study_b,
        targets,
        side_by_side,
        speed,
        family_tables,
        figures,
        all_variants,
        layers,
        variant_status,
        provenance_section,
    )
)


def template_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tinyrl.reporting", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=jinja2.select_autoescape(["html.j2"]),  # the HTML shell only; Markdown is escaped by markdown-it
    )
    env.filters["md_table"] = lambda df, floatfmt="g": markdown_table(df, floatfmt=floatfmt)
    return env


def build_inputs(
    settings: dict,
    summary: pd.DataFrame,
    agent_checkpoints: dict[str, dict],
    figure_paths: list[str],
    report_dir: str | Path,
    repo_dir: str | Path,
    speed: dict,
    robustness: list[tuple[str, dict, dict]] = (),
    deployments: dict[str, dict] | None = None,
) -> ReportInputs:
    """What every section builds from. `settings`: the study's protocol settings
    (tinyrl.plan.study.report_settings); `speed`: {"backends": the per-backend table, "ceiling": the GEMM ceiling
    record}; `robustness`: (agent, its robustness record, its float32 evaluation) per agent played off the protocol;
    `deployments`: agent -> its deploy.json, the answers shipped and played in their runtimes."""
    figure_records = [
        {
            "name": path.stem,
            "study_b": FIGURES[path.stem].study_b,
            "answer": FIGURES[path.stem].answer,
            "relpath": os.path.relpath(path, report_dir),
            "data_uri": "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii"),
        }
        for path in map(Path, figure_paths)
    ]
    return ReportInputs(
        settings=settings,
        summary=summary,
        backends=speed["backends"],
        ceiling=speed["ceiling"],
        agent_checkpoints=agent_checkpoints,
        figures=figure_records,
        robustness=list(robustness),
        machine=provenance(repo_dir),  # the CPU the report names, once
        deployments=deployments or {},
    )


def section_contexts(inputs: ReportInputs) -> list[tuple[Section, dict]]:
    """Each section shown, with what it shows (a section whose context is None is left out)."""
    return [(section, context) for section in SECTIONS if (context := section.context(inputs)) is not None]


def render_markdown(contexts: list[tuple[Section, dict]], figure_key: str = "relpath") -> str:
    """The report as Markdown, its figures linked by `figure_key` (relpath for report.md, data_uri for the HTML)."""
    env = template_environment()
    parts = [
        env.get_template(f"sections/{section.name}.md.j2")
        .render(context, figure_src=lambda figure: figure[figure_key])
        .strip("\n")
        for section, context in contexts
    ]
    return "\n\n".join(parts) + "\n"


def with_interactive_figures(body: str, inputs: ReportInputs) -> tuple[str, str]:
    """The HTML body with each answer figure's image replaced by its interactive chart, the image kept below it
    (folded), and the script the charts need ('' when the report has none)."""
    charts = 0
    for figure in inputs.figures:
        if not figure["answer"]:
            continue
        image = re.search(rf'<img src="[^"]*" alt="{re.escape(figure["name"])}"[^>]*>', body)
        if image is None:
            continue
        chart = frontier_div(inputs.summary, FIGURES[figure["name"]], figure["name"])
        folded = f"<details><summary>{figure['name']} as an image</summary>{image.group(0)}</details>"
        body = body[: image.start()] + f'<div class="chart">{chart}</div>{folded}' + body[image.end() :]
        charts += 1
    return body, plotly_script() if charts else ""


def render_report(inputs: ReportInputs, md_path: str | Path, html_path: str | Path) -> None:
    contexts = section_contexts(inputs)
    write_text(md_path, render_markdown(contexts))
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(render_markdown(contexts, "data_uri"))
    body, scripts = with_interactive_figures(body, inputs)
    write_text(html_path, template_environment().get_template("report.html.j2").render(body=body, scripts=scripts))
