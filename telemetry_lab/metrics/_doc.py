"""Parameter descriptions the metrics share, written once.

A docstring line holding only ``{name}`` (indented as a numpydoc parameter) is replaced by the
description of ``name`` from :data:`PARAMS`; no other brace in the docstring is touched.

Examples
--------
>>> @shared_params
... def f(session):
...     '''Do it.
...
...     Parameters
...     ----------
...     {session}
...     '''
>>> print(f.__doc__.splitlines()[-3:-1])
['    session : telemetry_lab.Session', '        A recording.']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

#: numpydoc entries by parameter name: first line the name and type, then the description.
PARAMS: dict[str, str] = {
    "session": "session : telemetry_lab.Session\n    A recording.",
    "navs": ("navs : pandas.DataFrame, optional\n"
             "    The session's :func:`~telemetry_lab.metrics.navigations.navigations`, "
             "if computed."),
}
_MARKER = re.compile(r"^(?P<indent>[ \t]*)\{(?P<name>" + "|".join(PARAMS) + r")\}[ \t]*$",
                     re.MULTILINE)


def shared_params(func: F) -> F:
    """Fill ``func``'s ``{name}`` parameter lines from :data:`PARAMS`; returns ``func``."""
    if func.__doc__:
        func.__doc__ = _MARKER.sub(
            lambda m: "\n".join(m["indent"] + line for line in PARAMS[m["name"]].splitlines()),
            func.__doc__,
        )
    return func
