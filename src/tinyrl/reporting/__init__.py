"""The report (Markdown and HTML, from jinja2 templates), its figures, and publishing a study into the repository."""
