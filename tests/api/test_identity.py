"""hub.api.identity: values found by the objects themselves, not by what they equal."""

from __future__ import annotations

from hub.api.identity import MISSING, IdentityCache


def test_an_entry_is_found_by_its_objects_identity_and_key_only():
    cache: IdentityCache[str] = IdentityCache(2)
    first, equal = ["node"], ["node"]
    cache.put((first,), "Type", "plan")
    assert cache.get((first,), "Type") == "plan"
    assert cache.get((equal,), "Type", MISSING) is MISSING  # equal, but another object
    assert cache.get((first,), "Other", MISSING) is MISSING


def test_the_least_recently_used_goes_past_the_size():
    cache: IdentityCache[int] = IdentityCache(2)
    a, b, c = object(), object(), object()
    cache.put((a,), None, 1)
    cache.put((b,), None, 2)
    assert cache.get((a,)) == 1  # a is now the more recent
    cache.put((c,), None, 3)
    assert cache.get((b,), None, MISSING) is MISSING
    assert (cache.get((a,)), cache.get((c,))) == (1, 3)
    assert sorted(cache.values()) == [1, 3]
