"""The base of typed API records and the tolerant field types they are built from.

Dynatrace answers are not always tidy: Grail may send a long as a string or a single value as
a one-element list, and an older tenant may leave a field out. A record model therefore keeps
unknown fields, accepts Grail's dotted names as aliases and coerces rather than rejects, so a
surprising answer still becomes a record instead of an exception in the middle of an incident.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

from dynatrace_agent.values import as_float, as_int

__all__ = ["Float", "Int", "Record", "Text"]


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return _text(value[0]) if value else None
    return str(value)


#: Tolerant field types: Grail may send longs as strings, single values as lists.
Text = Annotated[str | None, BeforeValidator(_text)]
Float = Annotated[float | None, BeforeValidator(as_float)]
Int = Annotated[int | None, BeforeValidator(as_int)]


class Record(BaseModel):
    """Base of the typed records: unknown fields are kept, dotted Grail names are aliases."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
