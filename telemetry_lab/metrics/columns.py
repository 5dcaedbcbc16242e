"""Arrow-backed column helpers shared by the metric functions.

Metrics compute on numpy (float microseconds for times) and hand back Arrow-backed pandas columns;
these are the conversions both ways.

Examples
--------
>>> import pandas as pd
>>> ts = pd.Series(pd.to_datetime(["2026-11-30 05:53:53.868025"], utc=True)).astype(TIME)
>>> micros(ts).tolist(), str(from_micros(micros(ts))[0])
([1796018033868025.0], '2026-11-30 05:53:53.868025+00:00')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from telemetry_lab.schema import TIMESTAMP

if TYPE_CHECKING:
    from telemetry_lab.session import Session

STRING = pd.ArrowDtype(pa.string())
INT64 = pd.ArrowDtype(pa.int64())
FLOAT64 = pd.ArrowDtype(pa.float64())
BOOL = pd.ArrowDtype(pa.bool_())
TIME = pd.ArrowDtype(TIMESTAMP)


def micros(values: pd.Series) -> np.ndarray:
    """Timestamps as float64 microseconds since the epoch (NaN for null); exact below 2**53."""
    return values.astype(INT64).to_numpy(dtype="float64", na_value=np.nan)


def from_micros(values: np.ndarray, index: pd.Index | None = None) -> pd.Series:
    """Float microseconds (NaN for null) back to a ``timestamp[us, UTC]`` series."""
    valid = np.isfinite(values)
    array = pa.array(np.where(valid, values, 0).astype(np.int64), TIMESTAMP, mask=~valid)
    return pd.Series(pd.arrays.ArrowExtensionArray(array), index=index)


def arrow(values: np.ndarray | pd.Series, dtype: pd.ArrowDtype) -> pd.Series:
    """``values`` as an Arrow-backed series of ``dtype`` (NaN and None become null)."""
    array = pa.array(values, type=dtype.pyarrow_dtype, from_pandas=True)
    return pd.Series(pd.arrays.ArrowExtensionArray(array))


def select(session: Session, event_type: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """Only ``columns`` of an event type's table as a DataFrame, in stream order.

    For the large types (requests with headers, screenshots with their PNG) this skips
    converting what a metric does not read.
    """
    table = session.table(event_type, allow_missing=True)
    return table.select(list(columns)).to_pandas(types_mapper=pd.ArrowDtype)
