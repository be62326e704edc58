"""Rows between processes: pickle, with read-only mappings (an `Example`'s ``meta``) sent as dicts.

Only rows this process made are encoded and only rows another judgekit worker made are decoded (Ray's
object store between stages); nothing read from a user's file is ever unpickled.
"""

from __future__ import annotations

import copyreg
import io
import pickle
from types import MappingProxyType
from typing import Any


def read_only(mapping: dict[str, Any]) -> MappingProxyType:
    return MappingProxyType(mapping)


def _proxy(mapping: MappingProxyType) -> tuple[Any, tuple[dict[str, Any]]]:
    return read_only, (dict(mapping),)


_DISPATCH = copyreg.dispatch_table.copy()
_DISPATCH[MappingProxyType] = _proxy


def dumps(obj: Any) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(obj)
    return buffer.getvalue()


def loads(data: bytes) -> Any:
    return pickle.loads(data)
