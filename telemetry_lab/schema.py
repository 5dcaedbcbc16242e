"""Event registry: every Kernel telemetry type, its category and its Arrow schema.

The registry is data. Each event type lists the fields of its ``data`` object (from the
``kernel==0.131.0`` SDK models) as ``path[:kind]``; everything else — the Arrow schemas, the
JSON parse schemas, the Parquet files and the tests — is derived from it.

Examples
--------
>>> from telemetry_lab.schema import SCHEMAS, EVENT_TYPES
>>> EVENT_TYPES["page_lcp"].category
'page'
>>> SCHEMAS["page_lcp"].field("lcp_render_time").type
TimestampType(timestamp[us, tz=UTC])
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

TIMESTAMP = pa.timestamp("us", tz="UTC")

#: Arrow type of each field kind. ``json`` columns hold JSON text, ``time`` columns hold a
#: performance-timeline time normalised to UTC (the raw number stays in ``<name>_raw``).
KINDS: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "strlist": pa.list_(pa.string()),
    "strmap": pa.map_(pa.string(), pa.string()),
    "json": pa.string(),
    "time": TIMESTAMP,
}

#: Columns every table starts with, in this order.
COMMON: tuple[pa.Field, ...] = (
    pa.field("seq", pa.int64()),
    pa.field("ts", TIMESTAMP),
    pa.field("type", pa.string()),
    pa.field("category", pa.string()),
    pa.field("source_kind", pa.string()),
    pa.field("source_event", pa.string()),
)

#: Context columns: taken from ``data`` and, where ``data`` lacks them, from ``source.metadata``
#: (column name, Arrow type, metadata key or None).
CONTEXT: tuple[tuple[str, pa.DataType, str | None], ...] = (
    ("target_id", pa.string(), "target_id"),
    ("target_type", pa.string(), "target_type"),
    ("session_id", pa.string(), "cdp_session_id"),
    ("frame_id", pa.string(), "frame_id"),
    ("loader_id", pa.string(), "loader_id"),
    ("url", pa.string(), "url"),
    ("nav_seq", pa.int64(), None),
)

#: Columns every table ends with.
TAIL: tuple[pa.Field, ...] = (pa.field("truncated", pa.bool_()), pa.field("extra", pa.string()))

#: ``source.metadata`` keys with a column of their own; other keys go to ``extra``.
METADATA_KEYS: tuple[str, ...] = tuple(key for _, _, key in CONTEXT if key is not None)

_SPECS: dict[str, tuple[str, str]] = {
    "console_log": ("console", "level text args:strlist stack_trace:json"),
    "console_error": (
        "console",
        "level text args:strlist source_url line:int column:int stack_trace:json",
    ),
    "network_request": (
        "network",
        "request_id method resource_type initiator_type document_url is_redirect:bool "
        "redirect_url headers:strmap post_data",
    ),
    "network_response": (
        "network",
        "request_id status:int status_text method mime_type resource_type headers:strmap body",
    ),
    "network_loading_failed": ("network", "request_id error_text canceled:bool resource_type"),
    "network_idle": ("network", ""),
    "proxy_error": ("network", "request_id code raw_code status:int method resource_type"),
    "page_navigation": ("page", "parent_frame_id"),
    "page_dom_content_loaded": ("page", "cdp_timestamp:float"),
    "page_load": ("page", "cdp_timestamp:float"),
    "page_tab_opened": ("page", "opener_id title"),
    "page_crashed": ("page", ""),
    "page_layout_shift": (
        "page",
        "source_frame_id time:time duration:float layout_shift_details.value:float "
        "layout_shift_details.had_recent_input:bool",
    ),
    "page_lcp": (
        "page",
        "source_frame_id time:time lcp_details.render_time:time lcp_details.load_time:time "
        "lcp_details.size:float lcp_details.element_id lcp_details.url lcp_details.node_id:int",
    ),
    "page_layout_settled": ("page", ""),
    "page_navigation_settled": ("page", ""),
    "interaction_click": ("interaction", "x:int y:int selector tag text"),
    "interaction_key": ("interaction", "key selector tag"),
    "interaction_scroll_settled": (
        "interaction",
        "from_x:int from_y:int to_x:int to_y:int target_selector",
    ),
    "monitor_screenshot": ("screenshot", "png"),
    "monitor_disconnected": ("monitor", "reason"),
    "monitor_reconnected": ("monitor", "reconnect_duration_ms:int"),
    "monitor_reconnect_failed": ("monitor", "reason"),
    "monitor_init_failed": ("monitor", "step"),
    "api_call": ("control", "operation_id request_id status:int code duration_ms:float"),
    "platform_api_call": ("platform", "operation_id request_id status:int duration_ms:float"),
    "cdp_command": (
        "control",
        "method event_type command_id:int connection_id button buttons:int click_count:int "
        "delta_x:float delta_y:float force:float modifiers:int pointer_type "
        "tangential_pressure:float tilt_x:float tilt_y:float twist:int x:float y:float "
        "auto_repeat:bool command_count:int is_keypad:bool is_system_key:bool location:int "
        "named_key text_length:int replacement_end:int replacement_start:int selection_end:int "
        "selection_start:int touch_point_count:int radius_x:float radius_y:float "
        "rotation_angle:float drag_file_count:int drag_item_count:int "
        "drag_mime_categories:strlist drag_operations_mask:int gesture_source_type "
        "relative_speed:int scale_factor:float prevent_fling:bool repeat_count:int "
        "repeat_delay_ms:int speed:int x_distance:float x_overscroll:float y_distance:float "
        "y_overscroll:float duration:int tap_count:int file_count:int backend_node_id:int "
        "node_id:int object_id rect_height:float rect_width:float rect_x:float rect_y:float "
        "capture_beyond_viewport:bool clip_height:float clip_scale:float clip_width:float "
        "clip_x:float clip_y:float format from_surface:bool optimize_for_speed:bool quality:int "
        "accept:bool prompt_text_length:int referrer_policy referrer_present:bool "
        "transition_type url_scheme entry_id:int ignore_cache:bool script_length:int "
        "display_header_footer:bool footer_template_present:bool "
        "generate_document_outline:bool generate_tagged_pdf:bool header_template_present:bool "
        "landscape:bool margin_bottom:float margin_left:float margin_right:float "
        "margin_top:float page_ranges_present:bool paper_height:float paper_width:float "
        "prefer_css_page_size:bool print_background:bool scale:float transfer_mode "
        "every_nth_frame:int max_height:int max_width:int state background:bool "
        "browser_context_id enable_begin_frame_control:bool focus:bool for_tab:bool height:int "
        "hidden:bool left:int new_window:bool top:int width:int window_state "
        "dispose_on_detach:bool proxy_bypass_list_present:bool proxy_server_present:bool "
        "universal_network_access_origin_count:int panel_id download_guid window_id:int "
        "field_id:int address_field_count:int mode",
    ),
    "cdp_connect": ("connection", "connection_id"),
    "cdp_disconnect": (
        "connection",
        "connection_id reason duration_ms:float message_count:int telemetry_dropped:int "
        "telemetry_excluded:int",
    ),
    "live_view_connect": ("connection", ""),
    "live_view_disconnect": ("connection", "duration_ms:float"),
    "captcha_solve_started": (
        "captcha",
        "captcha_type captcha_provider challenge_id media task_id task_kind website_host "
        "website_path",
    ),
    "captcha_solve_result": (
        "captcha",
        "captcha_type captcha_provider status duration_ms:float challenge_id error_code media "
        "task_id task_kind website_host website_path",
    ),
    "captcha_challenge_result": (
        "captcha",
        "captcha_type captcha_provider status duration_ms:float challenge_id inferred:bool "
        "task_id website_host website_path",
    ),
    "system_oom_kill": (
        "system",
        "pid:int process_name rss_kb:int constraint mem_free_kb:int mem_total_kb:int "
        "top_tasks:json trigger_pid:int trigger_process_name",
    ),
    "service_crashed": ("system", "service_name phase pid:int"),
}

#: Types whose producers once sent raw CDP camelCase field names (``renderTime``); both spellings
#: are read.
CAMEL_CASE_TYPES = frozenset({"page_lcp", "page_layout_shift"})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@dataclass(frozen=True)
class Field:
    """One field of an event's ``data``: where it is read from and the column it becomes.

    ``paths`` lists the JSON paths inside ``data`` that may carry it, preferred first.
    """

    name: str
    paths: tuple[tuple[str, ...], ...]
    kind: str

    @property
    def columns(self) -> tuple[pa.Field, ...]:
        """The column(s) this field produces: ``time`` fields add ``<name>_raw``."""
        main = pa.field(self.name, KINDS[self.kind])
        if self.kind == "time":
            return (main, pa.field(f"{self.name}_raw", pa.float64()))
        return (main,)


@dataclass(frozen=True)
class EventType:
    """A registered event type: its name, category and fields."""

    name: str
    category: str
    fields: tuple[Field, ...]

    @property
    def schema(self) -> pa.Schema:
        """The Arrow schema of this type's table: common columns, context, own fields, tail."""
        own = [column for field in self.fields for column in field.columns]
        context = [pa.field(name, dtype) for name, dtype, _ in CONTEXT]
        return pa.schema([*COMMON, *context, *own, *TAIL])


def _field(spec: str, camel: bool) -> Field:
    path_text, _, kind = spec.partition(":")
    path = tuple(path_text.split("."))
    name = path[0] if len(path) == 1 else f"{path[0].removesuffix('_details')}_{path[1]}"
    spellings = [(part, _camel(part)) if camel else (part,) for part in path]
    paths = dict.fromkeys(itertools.product(*spellings))
    return Field(name, tuple(paths), kind or "string")


EVENT_TYPES: dict[str, EventType] = {
    name: EventType(
        name, category, tuple(_field(s, name in CAMEL_CASE_TYPES) for s in spec.split())
    )
    for name, (category, spec) in _SPECS.items()
}

#: Fields of a type the registry does not know: ``data`` kept whole as JSON text.
GENERIC = EventType("", "", (Field("data", ((),), "json"),))

#: Arrow schema of each known type's table.
SCHEMAS: dict[str, pa.Schema] = {name: et.schema for name, et in EVENT_TYPES.items()}

#: Category order used in summaries.
CATEGORIES: tuple[str, ...] = tuple(dict.fromkeys(et.category for et in EVENT_TYPES.values()))


def event_type(name: str) -> EventType:
    """The registered type ``name``, or the generic one for a type the registry does not know."""
    return EVENT_TYPES.get(name, GENERIC)


def schema_for(name: str) -> pa.Schema:
    """Arrow schema of the table for event type ``name`` (generic for unknown types)."""
    return SCHEMAS.get(name) or GENERIC.schema


# Magnitude bounds that tell epoch seconds, milliseconds and microseconds apart: a time after
# 1973 in seconds is > 1e8; in milliseconds > 1e11; in microseconds > 1e14.
_UNIT_SCALE = ((1e14, 1.0), (1e11, 1e3), (1e8, 1e6))


def epoch_to_timestamp(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Normalise performance-timeline epoch times of unknown unit to ``timestamp[us, UTC]``.

    The unit is told apart by magnitude for each value (seconds ≈ 1e9, milliseconds ≈ 1e12,
    microseconds ≈ 1e15). Zero, negative, null and non-epoch values become null.

    Examples
    --------
    >>> import pyarrow as pa
    >>> times = pa.array([1796014657.6701, 1796014657670.1, 0.0])
    >>> seconds, millis, zero = epoch_to_timestamp(times)
    >>> str(seconds), seconds == millis, zero.is_valid
    ('2026-11-30 04:57:37.670100+00:00', True, False)
    """
    raw = values.cast(pa.float64()).to_numpy(zero_copy_only=False)
    micros = np.full(raw.shape, np.nan)
    for bound, scale in reversed(_UNIT_SCALE):
        micros = np.where(raw > bound, raw * scale, micros)
    valid = np.isfinite(micros) & (micros < 1e17)  # beyond year 5000: not a timeline time
    out = np.where(valid, np.round(micros), 0).astype(np.int64)
    return pa.array(out, TIMESTAMP, mask=~valid)


#: Side tables of a Session: frames that could not be read (errors) or were read not exactly
#: as sent (warnings), events received twice, and seq ranges with no event.
ERRORS_SCHEMA = pa.schema(
    [("position", pa.int64()), ("seq", pa.int64()), ("reason", pa.string()), ("raw", pa.string())]
)
DUPLICATES_SCHEMA = pa.schema(
    [("seq", pa.int64()), ("type", pa.string()), ("position", pa.int64())]
)
GAPS_SCHEMA = pa.schema([("start", pa.int64()), ("end", pa.int64()), ("missing", pa.int64())])
