"""Prompt templates as plain text files, and the one function that loads them.

Templates live next to this module as ``<name>.md`` so they can be reviewed and changed
without touching code; ``{placeholders}`` are filled with :meth:`str.format_map`, and a
missing placeholder is an error rather than a silently empty prompt.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

__all__ = ["available_prompts", "load_prompt", "render_prompt"]


@cache
def load_prompt(name: str) -> str:
    """Return the raw text of template ``name`` (without the ``.md`` suffix)."""
    path = resources.files(__package__).joinpath(f"{name}.md")
    if not path.is_file():
        known = ", ".join(available_prompts()) or "none"
        raise FileNotFoundError(f"no prompt template named {name!r}; known templates: {known}")
    return path.read_text(encoding="utf-8")


def render_prompt(name: str, **values: object) -> str:
    """Fill template ``name``; raises ``KeyError`` naming a placeholder that was not given."""
    template = load_prompt(name)
    try:
        return template.format_map(values)
    except KeyError as exc:
        raise KeyError(f"prompt {name!r} needs a value for {exc.args[0]!r}") from None


def available_prompts() -> list[str]:
    """Names of every template shipped with the package."""
    root = resources.files(__package__)
    return sorted(p.name[:-3] for p in root.iterdir() if p.name.endswith(".md"))
