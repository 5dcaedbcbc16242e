"""Where a fleet's per-batch function runs: this process, or a Dask cluster.

The engine only maps one function over a list of inputs and gathers the results in order; the
function (:func:`telemetry_lab.fleet.dataset.batch_task`) is the same everywhere, and Dask does
the distribution (``Client.map`` / ``Client.gather``). Embedded, :data:`EMBEDDED_THREADS`
items are in flight at once, so that one batch is read (Arrow's Parquet reader runs without
the GIL) while another is computed; memory holds that many batches.

Examples
--------
>>> run(len, [[1, 2], [3]], None)
[2, 1]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from telemetry_lab.errors import TelemetryLabError

T = TypeVar("T")
R = TypeVar("R")

#: ``None`` / ``"embedded"``, ``"dask"``, or a ``dask.distributed.Client``.
Engine = Any

ENGINES = ("embedded", "dask")
#: Items the embedded engine runs at once (threads of this process).
EMBEDDED_THREADS = 2


def _dask() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise TelemetryLabError(
            "engine='dask' needs dask.distributed, which is not installed: "
            "pip install 'telemetry_lab[dask]' (or use the default embedded engine)"
        ) from exc
    return distributed


def run(func: Callable[[T], R], items: Sequence[T], engine: Engine) -> list[R]:
    """``[func(item) for item in items]`` on ``engine``, in order.

    Parameters
    ----------
    func : callable
        A top-level (picklable) function of one argument.
    items : sequence
        Its inputs.
    engine : None, "embedded", "dask" or dask.distributed.Client
        ``None`` / ``"embedded"``: in this process, :data:`EMBEDDED_THREADS` items at a time.
        ``"dask"``: the running Dask client (``distributed.get_client()``), else a local
        cluster started for this call and closed after. A ``Client``: that cluster (its
        workers must see the same files).

    Raises
    ------
    TelemetryLabError
        For an unknown engine, or ``"dask"`` without dask installed.
    """
    if engine is None or engine == "embedded":
        with ThreadPoolExecutor(EMBEDDED_THREADS, thread_name_prefix="telemetry-lab") as pool:
            return list(pool.map(func, items))
    if isinstance(engine, str):
        if engine != "dask":
            raise TelemetryLabError(f"unknown engine {engine!r}: expected one of {ENGINES} or a "
                                    "dask.distributed.Client")
        distributed = _dask()
        try:
            client = distributed.get_client()
        except ValueError:
            with distributed.LocalCluster(processes=False) as cluster, \
                    distributed.Client(cluster) as local:
                return _map(local, func, items)
        return _map(client, func, items)
    if not (hasattr(engine, "map") and hasattr(engine, "gather")):
        raise TelemetryLabError(f"engine {type(engine).__name__!r} is not an engine: expected "
                                f"one of {ENGINES} or a dask.distributed.Client")
    return _map(engine, func, items)


def _map(client: Any, func: Callable[[T], R], items: Sequence[T]) -> list[R]:
    futures = client.map(func, list(items), pure=False)
    results: list[R] = client.gather(futures)
    return results
