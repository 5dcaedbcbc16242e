"""The exception hierarchy: every error telemetry_lab raises derives from TelemetryLabError."""

from __future__ import annotations


class TelemetryLabError(Exception):
    """Root of every error raised by telemetry_lab."""


class FormatError(TelemetryLabError, ValueError):
    """Input is none of the recording formats telemetry_lab reads."""


class WrongInputError(TelemetryLabError, TypeError):
    """A function got the wrong kind of object: a DataFrame where a Session belongs, a Session
    or another metric's output where a chart expects a metric's output, and so on. The message
    says what was expected, what arrived and which function produces the right input."""


class UnknownCategory(TelemetryLabError, ValueError):
    """A category name that is none of the Kernel event categories."""


class InvalidDuration(TelemetryLabError, ValueError):
    """A ``since``/``until`` that is neither a duration (``5m``, ``2h``, ``30d``) nor RFC 3339."""


class EventTypeNotFound(TelemetryLabError, KeyError):
    """A session was asked for an event type it does not hold."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class ScreenshotNotFound(TelemetryLabError, LookupError):
    """No screenshot was taken at or before the requested time (on the requested tab)."""

    def __str__(self) -> str:  # KeyError-like classes would otherwise quote the message
        return str(self.args[0]) if self.args else ""
