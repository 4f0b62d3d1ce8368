"""Network lists: the defaults (local nets, excluded noise nets) and the parsing of
``--local-nets`` / ``--exclude-nets`` values (inline CIDRs, files, or ``default``).

Returns lines in trace-summary's network-file format ("CIDR [label]"); engine.py writes them.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Iterable

from conn_summary.errors import UsageError

# THT's local nets (RFC 1918 and IPv6 link-local) plus IPv6 unique-local space (fc00::/7),
# which is just as private; the anchor misses it, so fd00:: hosts count as external there.
DEFAULT_LOCAL_NETS: tuple[str, ...] = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fe80::/10",
    "fc00::/7",
)

# THT's noise nets: unspecified, loopback, link-local IPv4, multicast, broadcast.
DEFAULT_EXCLUDE_NETS: tuple[str, ...] = (
    "0.0.0.0/32",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "224.0.0.0/4",
    "255.255.255.255/32",
    "::1/128",
    "ff00::/8",
)

DEFAULT_KEYWORD = "default"


# What an address or CIDR attempt is made of; a value with other characters and a path's
# marks is taken for a file name (CIDRs contain '/' too, so '/' alone decides nothing).
_ADDRESS_LIKE = re.compile(r"^[0-9A-Fa-f:.]+(/\d*)?$")
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]*$")
NETS_HINT = "use e.g. 10.0.0.0/8 or 2001:db8::/32, or a file of such lines"
PORTS_HINT = "use e.g. 8080,3128, or a file with one port per line ('#' comments allowed)"


def _looks_like_path(text: str, value_like: "re.Pattern[str]") -> bool:
    if value_like.match(text):
        return False
    return ("/" in text or "\\" in text or text.startswith((".", "~"))
            or bool(_EXTENSION.search(text)))


def _neither(text: str, option: str, what: str, value_like: "re.Pattern[str]",
             hint: str) -> UsageError:
    """The error for a value that is neither a readable file nor a valid value: tried as
    both, so say which it most likely meant to be."""
    path = Path(text)
    if path.exists() and not path.is_file():
        return UsageError(f"{option}: {text} is not a regular file (a directory?)", hint=hint)
    if _looks_like_path(text, value_like):
        return UsageError(f"{option}: no such file: {text}",
                          hint=f"'{text}' is not {what} either; {hint}")
    return UsageError(f"{option}: '{text}' is not {what}", hint=hint)


def _check_cidr(text: str, origin: str) -> str:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise UsageError(f"{origin}: '{text}' is not an address or CIDR", hint=NETS_HINT)
    return text


def _is_cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror}")


def _read_net_file(path: Path) -> list[str]:
    """Read a network file in trace-summary's format: 'CIDR [label]' lines, '#' comments."""
    text = _read_text(path, "network file")
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        _check_cidr(fields[0], f"{path}:{number}")
        out.append(" ".join(fields))
    return out


def resolve_nets(values: Iterable[str], defaults: tuple[str, ...], option: str) -> tuple[str, ...]:
    """Turn repeated option values into network lines.

    Given values replace the defaults; the word ``default`` among them brings the
    defaults back, so ``--local-nets default --local-nets 100.64.0.0/10`` extends them.
    Each value is a CIDR/address, a comma-separated list of them, or a file.
    """
    values = list(values)
    if not values:
        return defaults
    out: list[str] = []
    for value in values:
        path = Path(value)
        if path.is_file():
            out.extend(_read_net_file(path))
            continue
        if not value.replace(",", "").strip():
            # "," or " , ": a list of unset variables; never read it as "no networks".
            raise UsageError(f"{option}: empty value ('{value}')")
        for part in value.split(","):
            part = part.strip()
            if part == DEFAULT_KEYWORD:
                out.extend(defaults)
            elif part:
                if not _is_cidr(part):
                    raise _neither(part, option, "an address or CIDR", _ADDRESS_LIKE, NETS_HINT)
                out.append(part)
    # Keep order, drop repeats: trace-summary keys its table by CIDR.
    seen: dict[str, None] = {}
    for line in out:
        seen.setdefault(line, None)
    return tuple(seen)


def parse_hosts(values: Iterable[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``--host`` values: addresses or CIDRs."""
    out = []
    for value in values:
        if not value.replace(",", "").strip():
            raise UsageError(f"--host: empty value ('{value}')")
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            try:
                out.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise UsageError(f"--host: '{part}' is not an address or CIDR")
    return tuple(out)


_PORT_LIKE = re.compile(r"^\d+$")


def _read_ports_file(path: Path) -> list[tuple[str, str]]:
    """(item, origin) pairs of a ports file: ports separated by blanks or commas, '#' to the
    end of a line a comment (whole-line or after the ports), blank lines ignored."""
    text = _read_text(path, "ports file")
    items = []
    for number, line in enumerate(text.splitlines(), 1):
        for item in line.split("#", 1)[0].replace(",", " ").split():
            items.append((item, f"{path}:{number}"))
    return items


def parse_ports(value: str) -> tuple[int, ...]:
    """``--ports`` value: '22,80,443' or a file of ports (see _read_ports_file)."""
    path = Path(value)
    if path.is_file():
        items = _read_ports_file(path)
        origin = str(path)
    else:
        origin = "--ports"
        items = [(p, origin) for p in value.replace(",", " ").split()]
    ports = []
    for item, where in items:
        try:
            port = int(item)
        except ValueError:
            if where == "--ports":
                # A path with a blank in it was split into items: name the whole value.
                whole = value.strip()
                named = whole if _looks_like_path(whole, _PORT_LIKE) else item
                raise _neither(named, where, "a port number", _PORT_LIKE, PORTS_HINT)
            raise UsageError(f"{where}: '{item}' is not a port number", hint=PORTS_HINT)
        if not 0 <= port <= 65535:
            raise UsageError(f"{where}: {port} is not a port number (0-65535)")
        ports.append(port)
    if not ports:
        raise UsageError(f"{origin}: no ports given")
    return tuple(dict.fromkeys(ports))
