"""Shared parameter docs: filled into every metric that uses them, no marker left behind."""

from __future__ import annotations

import telemetry_lab
from telemetry_lab.metrics._doc import PARAMS, shared_params


def test_public_docstrings_have_their_shared_parameters_filled_in() -> None:
    docs = {name: getattr(telemetry_lab, name).__doc__ or "" for name in telemetry_lab.__all__
            if callable(getattr(telemetry_lab, name))}
    assert not [name for name, doc in docs.items() for key in PARAMS if f"{{{key}}}\n" in doc]
    assert "    session : telemetry_lab.Session\n        A recording." in docs["vitals"]
    assert "navs : pandas.DataFrame, optional\n        The session's" in docs["console"]


def test_only_marker_lines_are_replaced() -> None:
    def f() -> None:
        """Returns {"a": 1}.

        {session}
        """

    doc = shared_params(f).__doc__ or ""
    assert 'Returns {"a": 1}.' in doc and "        session : telemetry_lab.Session" in doc
