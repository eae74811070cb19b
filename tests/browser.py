"""Open an HTML file in a real headless browser (chromium) and report which of its images failed to load, and how
many points each of its interactive charts drew."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
# A page beside the report that loads it in a frame and, once everything has loaded, writes what it saw
# into its own DOM, which the browser then prints (--dump-dom).
PROBE = """<!DOCTYPE html><html><body>
<iframe id="page" src="{name}" style="width:1280px;height:900px"></iframe>
<script>
document.getElementById("page").onload = function () {{
  var images = this.contentDocument.images, broken = [];
  for (var i = 0; i < images.length; i++) {{
    if (!(images[i].complete && images[i].naturalWidth > 0)) broken.push(images[i].alt || i);
  }}
  var charts = this.contentDocument.querySelectorAll(".js-plotly-plot"), drawn = [];
  for (var j = 0; j < charts.length; j++) {{
    drawn.push(charts[j].id + ":" + charts[j].querySelectorAll(".scatterlayer path.point").length);
  }}
  document.body.setAttribute("data-probe", images.length + "|" + broken.join(","));
  document.body.setAttribute("data-charts", drawn.join(","));
}};
</script></body></html>"""


def browser() -> str:
    """The headless browser's path; a skip where none is installed, a failure where CI requires one."""
    found = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if found:
        return found
    if os.environ.get("TINYRL_REQUIRE_BROWSER"):
        pytest.fail("no headless browser (chromium) here, and TINYRL_REQUIRE_BROWSER is set (.ci/run installs one)")
    pytest.skip("no chromium here (.ci/run installs it and requires this check)")


def images_in_browser(html: Path) -> tuple[int, list[str]]:
    """(images on the page, the alt text of each that did not load) as chromium saw them."""
    images, broken, _ = page_in_browser(html)
    return images, broken


def page_in_browser(html: Path) -> tuple[int, list[str], dict[str, int]]:
    """(images on the page, the alt text of each that did not load, the points each interactive chart drew, by the
    chart's element id) as chromium saw them."""
    probe = html.parent / f"_probe_{html.stem}.html"
    probe.write_text(PROBE.format(name=html.name))
    try:
        out = subprocess.run(
            [
                browser(),
                "--headless",
                "--no-sandbox",  # root in a container
                "--disable-gpu",
                "--allow-file-access-from-files",  # the probe reads the report's frame
                "--virtual-time-budget=20000",
                "--dump-dom",
                probe.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        probe.unlink()
    match = re.search(r'data-probe="(\d+)\|([^"]*)"', out.stdout)
    assert match, f"the browser never finished loading {html}: {out.stderr[-2000:]}"
    charts = re.search(r'data-charts="([^"]*)"', out.stdout)
    drawn = dict(entry.rsplit(":", 1) for entry in charts.group(1).split(",") if entry) if charts else {}
    return int(match.group(1)), [alt for alt in match.group(2).split(",") if alt], {k: int(v) for k, v in drawn.items()}
