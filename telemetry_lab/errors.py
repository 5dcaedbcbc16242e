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
    """A ``since``/``until`` that is neither a duration (``5m``, ``2h``, ``30d``) nor RFC 3339,
    or a datetime without a time zone."""


class EventTypeNotFound(TelemetryLabError, KeyError):
    """A session was asked for an event type it does not hold."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class ScreenshotNotFound(TelemetryLabError, LookupError):
    """No screenshot was taken at or before the requested time (on the requested tab)."""

    def __str__(self) -> str:  # KeyError-like classes would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class UnusablePath(TelemetryLabError, FileNotFoundError):
    """A path that holds no recording (or no bundled sample), cannot be read or written, or
    holds no telemetry events."""


class AuthenticationError(TelemetryLabError):
    """The API refused the key (401/403). Never retried; the key never appears in messages."""


class BrowserNotFound(TelemetryLabError, LookupError):
    """No browser session with this id (404 before anything was received)."""


class CaptureError(TelemetryLabError):
    """The capture gave up (retries exhausted) or the API answered something unexpected."""


class SpoolError(TelemetryLabError):
    """The spool file cannot be used (not a spool) or written (a full disk, say)."""


class BudgetError(TelemetryLabError, ValueError):
    """A budget is malformed or names no fleet_vitals column."""


class DatasetError(TelemetryLabError, ValueError):
    """A folder of Parquet sessions disagrees with its own ``_session.json`` files, or a batch
    of it cannot be computed as asked (a solo member's Session is missing, say)."""
