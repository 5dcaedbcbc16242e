"""The exception hierarchy: every error telemetry_lab raises derives from TelemetryLabError."""

from __future__ import annotations


class TelemetryLabError(Exception):
    """Root of every error raised by telemetry_lab."""


class FormatError(TelemetryLabError, ValueError):
    """Input is none of the recording formats telemetry_lab reads."""


class EventTypeNotFound(TelemetryLabError, KeyError):
    """A session was asked for an event type it does not hold."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class ScreenshotNotFound(TelemetryLabError, LookupError):
    """No screenshot was taken at or before the requested time (on the requested tab)."""

    def __str__(self) -> str:  # KeyError-like classes would otherwise quote the message
        return str(self.args[0]) if self.args else ""
