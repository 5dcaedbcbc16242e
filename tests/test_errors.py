"""The public surface: every exported exception derives from TelemetryLabError, and no
function shadows a package."""

from __future__ import annotations

import inspect
from datetime import datetime

import pytest

import telemetry_lab
from telemetry_lab import errors
from telemetry_lab._capture.api import timestamp


def test_every_public_exception_lives_in_errors_under_the_root() -> None:
    exported = {name: getattr(telemetry_lab, name) for name in telemetry_lab.__all__}
    exceptions = {n: o for n, o in exported.items()
                  if inspect.isclass(o) and issubclass(o, BaseException)}
    defined = {n for n, o in vars(errors).items() if inspect.isclass(o)
               and issubclass(o, BaseException) and o.__module__ == errors.__name__}
    assert set(exceptions) == defined
    assert all(issubclass(o, telemetry_lab.TelemetryLabError) for o in exceptions.values())


def test_capture_and_replay_are_the_functions_and_their_classes_are_exported() -> None:
    assert inspect.isfunction(telemetry_lab.capture) and inspect.isfunction(telemetry_lab.replay)
    assert telemetry_lab.Capture.__name__ == "Capture"
    assert telemetry_lab.ReplayServer.__name__ == "ReplayServer"


def test_missing_paths_are_telemetry_lab_errors_and_file_not_found() -> None:
    with pytest.raises(telemetry_lab.UnusablePath, match="no recording at") as caught:
        telemetry_lab.read("/nonexistent/recording.sse")
    assert isinstance(caught.value, FileNotFoundError)
    with pytest.raises(FileNotFoundError, match="no bundled sample"):
        telemetry_lab.load_sample("nope")


def test_a_naive_datetime_is_an_invalid_duration_and_a_value_error() -> None:
    with pytest.raises(telemetry_lab.InvalidDuration, match="no time zone") as caught:
        timestamp(datetime(2026, 1, 1))
    assert isinstance(caught.value, ValueError)
