"""The edge view: which connections trace-summary keeps, decided the way it decides.

trace-summary drops a connection when either address is in ``--exclude-nets``, and,
with ``--external``, when both addresses are in ``--local-nets``. It looks addresses up
packed (``inet_pton``) in ``SubnetTree.SubnetTree(True)`` trees built from the same
net files; this module does exactly that, so that:

- the normalizer can leave those connections out of the canonical file (the engine
  would read and drop every one of them in each pass; it is a large share of a
  typical sensor's traffic) and count them instead (InputReport.excluded/.internal);
- exact.py can replay the engine's Total figures.

The engine still gets ``--external`` and ``--exclude-nets``: it stays the authority,
and the view only removes what it would remove itself.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Callable, Iterable, Optional

# Address classes (bits): in a local net (set only for a view with --external, the
# only case where it matters), in an excluded net.
LOCAL = 1
EXCLUDED = 2


@dataclass(frozen=True)
class EdgeView:
    """The nets the engine is given, as ``CIDR [label]`` strings."""

    local_nets: tuple[str, ...] = ()
    exclude_nets: Optional[tuple[str, ...]] = None   # None: the engine excludes nothing
    external: bool = True                            # --external: drop local-to-local

    @property
    def drops_anything(self) -> bool:
        return bool(self.exclude_nets) or (self.external and bool(self.local_nets))


def packed(address: str) -> bytes:
    """The engine's inet_xton: the address as SubnetTree wants it."""
    return socket.inet_pton(socket.AF_INET6 if ":" in address else socket.AF_INET, address)


def subnet_tree(nets: Iterable[str]):  # type: ignore[no-untyped-def]
    """A binary-lookup SubnetTree of the nets' CIDRs (labels ignored), as the engine builds it."""
    import SubnetTree

    tree = SubnetTree.SubnetTree(True)
    for line in nets:
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        try:
            tree[fields[0]] = True
        except (KeyError, ValueError):
            # The engine warns "Can't parse local network" and goes on without it: so do we.
            continue
    return tree


def address_classifier(view: Optional[EdgeView]) -> Callable[[bytes], Optional[int]]:
    """classify(address bytes) -> LOCAL/EXCLUDED bits, or None for a malformed address.

    Without a view (or one that drops nothing) it only validates the address.
    """
    if view is None or not view.drops_anything:
        def validate(a: bytes) -> Optional[int]:
            try:
                packed(a.decode("ascii"))
            except (UnicodeDecodeError, OSError, ValueError):
                return None
            return 0
        return validate
    local = subnet_tree(view.local_nets if view.external else ())
    excluded = subnet_tree(view.exclude_nets or ())

    def classify(a: bytes) -> Optional[int]:
        try:
            p = packed(a.decode("ascii"))
        except (UnicodeDecodeError, OSError, ValueError):
            return None
        return (LOCAL if p in local else 0) | (EXCLUDED if p in excluded else 0)

    return classify


def hidden_by(orig_class: int, resp_class: int) -> Optional[str]:
    """Why the engine would drop a connection, from its addresses' classes (the view is
    in them): "excluded", "internal", or None when it keeps it."""
    if (orig_class | resp_class) & EXCLUDED:
        return "excluded"
    if orig_class & resp_class & LOCAL:
        return "internal"
    return None
