"""The file store's ordered walk (list_page, newest) against the plain definition: every key under
the prefix, in UTF-8 byte order, after/before the bounds; nested and look-alike names included."""

from __future__ import annotations

import tempfile

from hypothesis import given, settings
from hypothesis import strategies as st

from bailian_fc.store import FileStore

SEGMENTS = st.sampled_from(["a", "a-b", "a0", "ab", "b", "北", "z.json", "a.b", "0"])
KEYS = st.lists(
    st.lists(SEGMENTS, min_size=1, max_size=3).map("/".join), min_size=1, max_size=25, unique=True
)


def usable(keys: list[str]) -> list[str]:
    """A file system cannot hold both ``a`` (a file) and ``a/b`` (under a directory ``a``)."""
    kept: list[str] = []
    for key in keys:
        if not any(other.startswith(key + "/") or key.startswith(other + "/") for other in kept):
            kept.append(key)
    return kept


@settings(max_examples=80, deadline=None)
@given(keys=KEYS, prefix=st.sampled_from(["", "a", "a/", "a-", "b/", "北"]), cut=st.integers(0, 30))
def test_pages_and_newest_match_the_sorted_listing(keys: list[str], prefix: str, cut: int) -> None:
    keys = usable(keys)
    with tempfile.TemporaryDirectory() as root:
        store = FileStore(root)
        for key in keys:
            store.put(key, key.encode())
        expected = sorted((k for k in keys if k.startswith(prefix)), key=str.encode)
        paged, after = [], ""
        while True:
            page = store.list_page(prefix, start_after=after, limit=2)
            paged += page
            if len(page) < 2:
                break
            after = page[-1]
        assert paged == expected
        bound = expected[cut % len(expected)] if expected else ""
        assert [k for k, _ in store.newest(prefix, 3, before=bound)] == (
            [k for k in expected if not bound or k < bound][::-1][:3]
        )
        assert all(v == k.encode() for k, v in store.newest(prefix, 5))
