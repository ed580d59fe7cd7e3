"""The fragment cache: bounded, least recently used first out, entries expire."""

from __future__ import annotations

from aftercare.fragments import FragmentCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_kept_value_comes_back_until_it_expires():
    clock = Clock()
    cache = FragmentCache(size=4, seconds=60, clock=clock)
    cache.put("page", "<p>1</p>")
    clock.now = 59.9
    assert cache.get("page") == "<p>1</p>"
    clock.now = 60.0
    assert cache.get("page") is None
    assert len(cache) == 0  # an expired entry is dropped, not kept


def test_the_least_recently_used_goes_first_when_full():
    cache = FragmentCache(size=2, seconds=60, clock=Clock())
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"  # now b is the least recently used
    cache.put("c", "C")
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == ("A", "C")
    assert len(cache) == 2


def test_a_new_value_for_a_key_replaces_the_old():
    cache = FragmentCache(size=2, seconds=60, clock=Clock())
    cache.put("a", "old")
    cache.put("a", "new")
    assert cache.get("a") == "new"
    assert len(cache) == 1
