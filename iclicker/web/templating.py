"""The Jinja2 environment over ``templates/``, and where the templates and static files live."""

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape


def resource_dir(name: str) -> Path:
    """``templates``, ``static`` or ``docs``: in the installed package, or atop the checkout."""
    package = Path(__file__).resolve().parent.parent
    installed = package / name
    return installed if installed.is_dir() else package.parent / name


class Templates:
    def __init__(self, directory: Path | None = None) -> None:
        self._environment = Environment(
            loader=FileSystemLoader(str(directory or resource_dir("templates"))),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, name: str, **context: object) -> bytes:
        return self._environment.get_template(name).render(**context).encode("utf-8")
