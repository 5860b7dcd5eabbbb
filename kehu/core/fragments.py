"""HTML fragments rendered once and reused by the process, looked up by everything they are
made of."""

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from django.utils.safestring import SafeString

Html = TypeVar("Html", SafeString, dict[str, SafeString])


class FragmentCache(Generic[Html]):
    """Rendered HTML by a key that holds everything the HTML depends on (the language, the
    values shown): an entry is never stale, so nothing has to forget it when data change; a
    change makes another key. Only the number of entries is bounded (all are dropped when
    ``cap`` is reached: rendering again costs what it cost the first time), which bounds the
    memory at ``cap`` times a fragment's size per process."""

    def __init__(self, cap: int = 256) -> None:
        self.cap = cap
        self._html: dict[Hashable, Html] = {}

    def get(self, key: Hashable, render: Callable[[], Html]) -> Html:
        html = self._html.get(key)
        if html is None:
            if len(self._html) >= self.cap:
                self._html.clear()
            html = self._html[key] = render()
        return html
