"""Per-navigation vitals of many sessions in one pass, identical to one call per session.

:func:`~telemetry_lab.metrics.vitals.vitals` costs a fixed ~0.3 s of pandas work per call
whatever the session's size, so a fleet computes a *batch* of sessions as one combined Session
and splits the answer. The combination keeps the sessions apart:

- every identifier column (a string column named ``*_id``, DOM element ids excepted) gets a
  prefix ``"\\x1f<member>\\x1f"``, so no tab, frame, loader or request of one session can match
  another's; the prefix is removed from every string column of the result;
- seqs are renumbered so the sessions follow each other without a hole (ordering inside a
  session is kept; nothing in the result depends on absolute seqs).

Session-wide rules cannot be kept apart that way: a seq gap or a monitor disconnect marks every
navigation of its session unreliable, agent commands (``cdp_command``, ``api_call``) carry no
tab and are placed by the session's tabs and timing, and a navigation without ``target_id``
would pair with another session's events. Sessions with any of these are *solo*: computed on
their own.

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.metrics.vitals import vitals
>>> s = telemetry_lab.load_sample()
>>> both = sessions_vitals({"a": s, "b": s})
>>> both.groupby("session").size().to_dict()
{'a': 3, 'b': 3}
>>> both[both["session"] == "b"].drop(columns="session").reset_index(drop=True).equals(vitals(s))
True
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from telemetry_lab.errors import DatasetError
from telemetry_lab.metrics.vitals import vitals
from telemetry_lab.session import Session

#: Column holding each row's member (position in the batch) while a batch is assembled.
MEMBER = "__member"
#: String ``*_id`` columns that are not identifiers of the browser's objects (DOM ids, shown).
NOT_NAMESPACED = frozenset({"lcp_element_id"})
_PREFIX = "^\x1f[0-9]+\x1f"


@dataclass
class Batch:
    """Several sessions' tables, concatenated per event type.

    Attributes
    ----------
    names
        Session names, in order; a row's ``__member`` column is its session's position here.
    tables
        One table per event type with an extra int64 ``__member`` column.
    skipped
        Per member, the seqs the server skipped (id-only frames).
    solo
        Members that must be computed on their own (seq gaps, monitor disconnects).
    """

    names: list[str]
    tables: dict[str, pa.Table]
    skipped: list[np.ndarray]
    solo: set[int] = field(default_factory=set)

    @classmethod
    def from_sessions(cls, sessions: Mapping[str, Session]) -> Batch:
        """A batch of in-memory sessions (each keeps its own tables)."""
        names = list(sessions)
        parts: dict[str, list[pa.Table]] = {}
        for k, session in enumerate(sessions.values()):
            for name in session.types:
                table = session.table(name)
                parts.setdefault(name, []).append(
                    table.append_column(MEMBER, pa.array(np.full(table.num_rows, k)))
                )
        solo = {k for k, s in enumerate(sessions.values()) if needs_solo(s.gaps, s.types)}
        tables = {name: pa.concat_tables(p, promote_options="permissive")
                  for name, p in parts.items()}
        skipped = [np.asarray(s.skipped, dtype=np.int64) for s in sessions.values()]
        return cls(names, tables, skipped, solo)


#: Event types resolved against the whole session: a monitor disconnect makes every navigation
#: unreliable; agent commands carry no tab and take one from the session's tabs and timing.
SESSION_WIDE = frozenset({"monitor_disconnected", "cdp_command", "api_call"})


def needs_solo(gaps: pd.DataFrame | Sequence[object], types: Collection[str]) -> bool:
    """Whether a session's vitals depend on session-wide state (:data:`SESSION_WIDE`, gaps)."""
    return len(gaps) > 0 or any(t in SESSION_WIDE for t in types)


def _id_columns(table: pa.Table) -> list[int]:
    return [i for i, f in enumerate(table.schema)
            if f.name.endswith("_id") and f.name not in NOT_NAMESPACED
            and pa.types.is_string(f.type)]


def _null_targets(batch: Batch) -> set[int]:
    """Members with a navigation that has no ``target_id``."""
    nav = batch.tables.get("page_navigation")
    if nav is None:
        return set()
    missing = pc.is_null(nav["target_id"])
    return {int(k) for k in pc.unique(nav.filter(missing)[MEMBER]).to_pylist()}


def combine(batch: Batch, members: Sequence[int]) -> Session:
    """One Session holding ``members`` of ``batch``, renumbered and (for several) namespaced.

    Only for members without seq gaps: the seqs of undecodable frames are not in a batch.
    """
    keep = pa.array(np.asarray(members, dtype=np.int64))
    everyone = len(members) == len(batch.names)
    picked = {name: t if everyone else t.filter(pc.is_in(t[MEMBER], value_set=keep))
              for name, t in batch.tables.items()}
    size = len(batch.names)
    lo = np.full(size, np.iinfo(np.int64).max)
    hi = np.full(size, np.iinfo(np.int64).min)
    for table in picked.values():
        member = table[MEMBER].to_numpy()
        seq = table["seq"].to_numpy()
        np.minimum.at(lo, member, seq)
        np.maximum.at(hi, member, seq)
    for k in members:
        if len(batch.skipped[k]):
            lo[k] = min(lo[k], int(batch.skipped[k].min()))
            hi[k] = max(hi[k], int(batch.skipped[k].max()))
    span = np.where(hi >= lo, hi - lo + 1, 0)
    base = np.zeros(size, dtype=np.int64)
    order = np.asarray(members, dtype=np.int64)
    base[order] = np.concatenate([[1], 1 + np.cumsum(span[order])[:-1]])
    prefixes = pa.array([f"\x1f{k}\x1f" for k in range(size)])
    tables = {}
    for name, table in picked.items():
        member = table[MEMBER].to_numpy()
        seq = table["seq"].to_numpy() - lo[member] + base[member]
        table = table.set_column(table.schema.get_field_index("seq"), "seq", pa.array(seq))
        prefix = prefixes.take(pa.array(member))
        for i in _id_columns(table) if len(members) > 1 else ():
            column = pc.binary_join_element_wise(prefix, table.column(i), "")
            table = table.set_column(i, table.schema.field(i), column)
        tables[name] = table.drop_columns([MEMBER])
    skipped = np.concatenate(
        [batch.skipped[k] - lo[k] + base[k] for k in members] or [np.array([], np.int64)]
    )
    return Session(tables, skipped=skipped)


def _strip(frame: pd.DataFrame) -> pd.DataFrame:
    """The result of a combined session: member of each row, prefixes removed."""
    member = frame["target_id"].str.extract(r"^\x1f([0-9]+)\x1f", expand=False)
    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        if isinstance(dtype, pd.ArrowDtype) and pa.types.is_string(dtype.pyarrow_dtype):
            out[column] = out[column].str.replace(_PREFIX, "", regex=True)
    out.insert(0, MEMBER, member.astype("int64"))
    return out


def batch_vitals(batch: Batch, solo: Mapping[int, Session] | None = None) -> pd.DataFrame:
    """Vitals of every member of ``batch`` with a leading ``session`` column, in member order.

    Parameters
    ----------
    batch : Batch
        The sessions.
    solo : mapping of int to Session, optional
        The full Session of each member in ``batch.solo`` (computed on its own).

    Raises
    ------
    DatasetError
        When a member of ``batch.solo`` is missing from ``solo``.
    """
    missing = sorted(batch.solo - set(solo or {}))
    if missing:
        raise DatasetError(f"batch_vitals needs the Session of solo members {missing}: pass "
                         "them as solo={member: session}")
    alone = batch.solo | _null_targets(batch)
    shared = [k for k in range(len(batch.names)) if k not in alone]
    pieces: list[pd.DataFrame] = []
    if len(shared) == 1:
        pieces.append(vitals(combine(batch, shared)).assign(**{MEMBER: shared[0]}))
    elif shared:
        combined = combine(batch, shared)
        if not combined.gaps.empty:  # renumbering leaves no hole; a hole would be a bug here
            raise AssertionError("a combined batch has seq gaps")
        pieces.append(_strip(vitals(combined)))
    for k in sorted(alone):
        session = solo[k] if solo and k in solo else combine(batch, [k])
        pieces.append(vitals(session).assign(**{MEMBER: k}))
    if not pieces:
        empty = vitals(Session())
        pieces.append(empty.assign(**{MEMBER: pd.Series([], dtype="int64")}))
    frame = pd.concat(pieces, ignore_index=True)
    member = frame.pop(MEMBER).to_numpy("int64")
    frame = frame.iloc[np.argsort(member, kind="stable")].reset_index(drop=True)
    names = np.asarray(batch.names, dtype=object)[np.sort(member)]
    frame.insert(0, "session", pd.array(names, dtype=pd.ArrowDtype(pa.string())))
    return frame


def sessions_vitals(sessions: Mapping[str, Session]) -> pd.DataFrame:
    """Per-navigation vitals of in-memory sessions, as one table with a leading ``session``.

    Equal to ``vitals(session)`` for each session, concatenated in mapping order.
    """
    return batch_vitals(Batch.from_sessions(sessions), dict(enumerate(sessions.values())))
