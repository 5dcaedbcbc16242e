"""Misuse gets a clear error: what was expected, what arrived, which function produces it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

import telemetry_lab
from telemetry_lab.checks import describe
from telemetry_lab.errors import (
    EventTypeNotFound,
    TelemetryLabError,
    UnknownCategory,
    WrongInputError,
)


@pytest.fixture(scope="module")
def shop() -> telemetry_lab.Session:
    return telemetry_lab.load_sample()


@pytest.fixture(scope="module")
def outputs(shop: telemetry_lab.Session) -> dict[str, pd.DataFrame]:
    navs = telemetry_lab.navigations(shop)
    return {"navigations": navs, "requests": telemetry_lab.requests(shop, navs=navs),
            "vitals": telemetry_lab.vitals(shop, navs=navs),
            "layout_shifts": telemetry_lab.layout_shifts(shop, navs=navs),
            "lcp_candidates": telemetry_lab.lcp_candidates(shop, navs=navs),
            "interactions": telemetry_lab.interactions(shop, navs=navs)}


SESSION_FUNCTIONS: list[Callable[..., Any]] = [
    telemetry_lab.navigations, telemetry_lab.requests, telemetry_lab.vitals,
    telemetry_lab.layout_shifts, telemetry_lab.lcp_candidates, telemetry_lab.interactions,
]


@pytest.mark.parametrize("function", SESSION_FUNCTIONS, ids=lambda f: f.__name__)
def test_a_dataframe_where_a_session_belongs(
    function: Callable[..., Any], outputs: dict[str, pd.DataFrame],
) -> None:
    with pytest.raises(WrongInputError) as info:
        function(outputs["requests"])
    error = info.value
    assert isinstance(error, TypeError) and isinstance(error, TelemetryLabError)
    message = str(error)
    assert message.startswith(f"{function.__name__} expected a Session")
    assert "got the output of telemetry_lab.requests(session)" in message
    assert f"{function.__name__}(session)" in message


@pytest.mark.parametrize(("chart", "kind"), [
    (telemetry_lab.plot_waterfall, "requests"), (telemetry_lab.plot_vitals, "vitals"),
    (telemetry_lab.plot_layout_shifts, "layout_shifts"),
    (telemetry_lab.plot_lcp_candidates, "lcp_candidates"),
], ids=lambda x: getattr(x, "__name__", x))
def test_a_session_or_another_output_passed_to_a_chart(
    chart: Callable[..., Any], kind: str, shop: telemetry_lab.Session,
    outputs: dict[str, pd.DataFrame],
) -> None:
    with pytest.raises(WrongInputError, match=rf"^{chart.__name__} expected the output of "
                                              rf"telemetry_lab\.{kind}\(session\).*got a "
                                              r"Session\. Pass telemetry_lab"):
        chart(shop)
    other = "navigations" if kind != "navigations" else "requests"
    with pytest.raises(WrongInputError, match=f"got the output of telemetry_lab.{other}"):
        chart(outputs[other])


def test_wrong_keyword_inputs_are_named(shop: telemetry_lab.Session,
                                        outputs: dict[str, pd.DataFrame]) -> None:
    with pytest.raises(WrongInputError, match=r"plot_waterfall\(navigations=\.\.\.\) expected "
                                              r"the output of telemetry_lab\.navigations"):
        telemetry_lab.plot_waterfall(outputs["requests"], navigations=outputs["vitals"])
    with pytest.raises(WrongInputError, match=r"vitals\(navs=\.\.\.\) expected"):
        telemetry_lab.vitals(shop, navs=shop)  # type: ignore[arg-type]
    with pytest.raises(WrongInputError, match=r"missing end_source, hop, outcome, request_id"):
        telemetry_lab.resource_summary(pd.DataFrame({"url": ["x"]}))
    with pytest.raises(WrongInputError, match="assign_navigation expected an event frame"):
        telemetry_lab.assign_navigation(outputs["vitals"], outputs["navigations"])
    with pytest.raises(WrongInputError, match="got a Session"):
        telemetry_lab.failures(shop)  # type: ignore[arg-type]


def test_describe_names_each_output(outputs: dict[str, pd.DataFrame],
                                    shop: telemetry_lab.Session) -> None:
    for kind, frame in outputs.items():
        assert describe(frame) == f"the output of telemetry_lab.{kind}(session)"
    assert describe(shop.frame("page_load")) == "an event frame (session.frame(...))"
    assert describe([1]) == "a list"


def test_unknown_event_types_suggest_the_closest(shop: telemetry_lab.Session) -> None:
    with pytest.raises(EventTypeNotFound, match=r"Did you mean network_request, "
                                                r"network_response or network_idle\?") as info:
        shop.frame("network_requests")
    assert isinstance(info.value, KeyError)
    with pytest.raises(EventTypeNotFound, match="Did you mean page_load"):
        shop.frame("page_loaded")


def test_unknown_categories_are_rejected_before_any_request() -> None:
    with pytest.raises(UnknownCategory, match=r"capture\(categories=\.\.\.\): 'netwrok' is "
                                              "not a Kernel event category. Did you mean "
                                              "network?") as info:
        telemetry_lab.capture("b", api_key="k", base_url="http://127.0.0.1:9",
                              categories=["netwrok"], spool=False)
    assert isinstance(info.value, ValueError)
    with pytest.raises(UnknownCategory, match=r"'pages'.*Did you mean page\?"):
        telemetry_lab.fetch_events("b", api_key="k", base_url="http://127.0.0.1:9",
                                   categories=["network", "pages"])
    with pytest.raises(WrongInputError, match=r"pass \['network'\]"):
        telemetry_lab.fetch_events("b", api_key="k", base_url="http://127.0.0.1:9",
                                   categories="network")
