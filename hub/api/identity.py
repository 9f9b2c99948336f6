"""A bounded cache keyed by the identity of objects the parser's cache hands out again and again.

The same query text brings the same document (Strawberry's parser cache), so what is worked out for a document or
one of its nodes (its validation, its figures, a completion plan) can be found by the object's id, without hashing
the syntax tree. An entry keeps its objects, so their ids cannot pass to other objects while it lives.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Any, Generic, TypeVar

V = TypeVar("V")
MISSING: Any = object()


class IdentityCache(Generic[V]):
    """Values by (the identities of some objects, a hashable key), the least recently used going past `size`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[tuple, tuple[tuple, V]] = OrderedDict()

    def get(self, objects: tuple, key: Hashable = None, default: Any = None) -> V | Any:
        found = (*map(id, objects), key)
        entry = self._entries.get(found)
        if entry is None or any(kept is not given for kept, given in zip(entry[0], objects, strict=True)):
            return default
        self._entries.move_to_end(found)
        return entry[1]

    def put(self, objects: tuple, key: Hashable, value: V) -> V:
        self._entries[(*map(id, objects), key)] = (objects, value)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return value

    def values(self) -> Iterator[V]:
        return (value for _, value in self._entries.values())
