"""Terminal output: the summary as rich tables (a pure function of the Summary).

Owns the layout people read at a terminal: a header panel (what was read, the
accounting, the engine, the time range in UTC and local time), then each pass's
Total section as six small tables (ports, sources, destinations, services,
protocols, states) with percentage bars; the two passes side by side when the
console is wide, stacked when narrow (decided at render time from the console
width, so the same renderable works in both). With ``explain`` a legend of the
conn states and services present; with ``--intervals`` (sections "interval" or
"all") one table of the per-interval totals; with sections "all" the other
sections (local networks, Incoming, Outgoing, per-net) too. Each list's title is
never cut: a table is at least as wide as its title, however narrow its rows.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Iterable, Optional

from rich.columns import Columns
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from conn_summary.model import InputReport, PassReport, Section, Summary, TopRow
from conn_summary.protocols import CONN_STATES, protocol_label, service_meaning, state_meaning
from conn_summary.render import PASS_TITLES

SIDE_BY_SIDE_MIN_WIDTH = 140          # below this the passes stack (each needs ~70 columns)
BAR_WIDTH = 10
_PARTIAL = " ▏▎▍▌▋▊▉"                 # eighths of a block, for bars finer than a cell
LISTS = (("ports", "Ports"), ("sources", "Sources"), ("destinations", "Destinations"),
         ("services", "Services"), ("protocols", "Protocols"), ("states", "States"))


def fmt_count(v: float) -> str:
    """Like the engine's formatVal: 999 as is, then k/m/g with one decimal."""
    for unit, factor in (("g", 1e9), ("m", 1e6), ("k", 1e3)):
        if v >= factor:
            return f"{v / factor:.1f}{unit}"
    return f"{v:g}"


def bar(percent: Optional[float], width: int = BAR_WIDTH) -> str:
    """A bar of ``width`` cells filled to ``percent``, in eighths of a cell."""
    if percent is None:
        return ""
    eighths = round(max(0.0, min(100.0, percent)) / 100 * width * 8)
    full, part = divmod(eighths, 8)
    if full == 0 and part == 0 and percent > 0:
        part = 1  # a share that rounds to nothing still shows it is there
    return ("█" * full + (_PARTIAL[part] if part else "")).ljust(width)


def _fmt_utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _fmt_local(epoch: float) -> str:
    # time.localtime follows TZ as this process sees it (the engine printed the same zone).
    return time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(epoch))


def _time_range(summary: Summary) -> tuple[Optional[float], Optional[float]]:
    first, last = summary.inputs.first_ts, summary.inputs.last_ts
    if first is None or last is None:
        for p in summary.passes:
            if p.first is not None and p.last is not None:
                return p.first, p.last
    return first, last


def _file_label(f) -> str:
    what = f.format if f.compression == "none" else f"{f.compression}, {f.format}"
    return f"{'stdin' if f.name == '-' else f.name} ({what})"


def _accounting(inputs: InputReport) -> Text:
    t = Text()
    t.append(f"{inputs.lines:,}", "bold")
    t.append(" line read · " if inputs.lines == 1 else " lines read · ")
    t.append(f"{inputs.records:,}", "bold")
    t.append(" record summarized" if inputs.records == 1 else " records summarized")
    if inputs.filtered:
        t.append(f" · {inputs.filtered:,} filtered")
    if inputs.internal:
        t.append(f" · {inputs.internal:,} internal-only (--all shows them)")
    if inputs.excluded:
        t.append(f" · {inputs.excluded:,} in excluded nets")
    if inputs.other_total:
        t.append(f" · {inputs.other_total:,} other-protocol")
    if inputs.skipped_total:
        t.append(" · ")
        t.append(f"{inputs.skipped_total:,} skipped", "bold yellow")
        t.append(" (" + ", ".join(f"{s.reason}: {s.count:,}" for s in inputs.skipped) + ")")
    else:
        t.append(" · 0 skipped")
    return t


def header_panel(summary: Summary) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold cyan", no_wrap=True)
    grid.add_column(overflow="fold")  # a long path folds rather than losing its end to "…"
    files = summary.inputs.files
    grid.add_row("Inputs", ", ".join(_file_label(f) for f in files) if files else "none")
    grid.add_row("Lines", _accounting(summary.inputs))
    e = summary.engine
    grid.add_row("Engine", f"trace-summary {e.version} ({e.source}: {e.path})")
    first, last = _time_range(summary)
    if first is not None and last is not None:
        grid.add_row("Time (UTC)", f"{_fmt_utc(first)} → {_fmt_utc(last)}")
        grid.add_row("Time (local)", f"{_fmt_local(first)} → {_fmt_local(last)}")
    else:
        grid.add_row("Time", "no connections")
    return Panel(grid, title="conn-summary", title_align="left", border_style="cyan")


def _row_label(list_name: str, row: TopRow) -> str:
    if list_name == "protocols" and isinstance(row.value, int):
        return protocol_label(row.value)
    label = str(row.value) if row.value != "" else '""'
    if row.name:
        label += f" ({row.name})"
    return label


def top_table(list_name: str, title: str, rows: Iterable[TopRow]) -> Table:
    # min_width: an empty list ("none") or short values would otherwise cut the title
    # to their width ("Destina…") on a narrow console.
    table = Table(title=title, title_style="bold", title_justify="left", box=None,
                  show_header=False, padding=(0, 1), pad_edge=False, min_width=len(title))
    table.add_column(overflow="fold")
    table.add_column(justify="right", no_wrap=True)
    table.add_column(style="green", no_wrap=True)
    rows = list(rows)
    for r in rows:
        pct = "??%" if r.percent is None else f"{r.percent:.1f}%"
        table.add_row(_row_label(list_name, r), pct, bar(r.percent))
    if not rows:
        table.add_row(Text("none", style="dim"), "", "")
    return table


def _count_text(value: float, text: str) -> str:
    """The engine's figure without its padding; "4.0" connections read better as "4"."""
    text = text.strip()
    if text and text[-1].isdigit() and value == int(value):
        return str(int(value))
    return text


def section_view(section: Section, title: Optional[str] = None, *, show_time: bool = True) -> Panel:
    heading = title or (section.title or "Interval")
    conns = _count_text(section.connections, section.connections_text)
    figures = f"{conns} {'connection' if conns == '1' else 'connections'} · payload {section.payload_text.strip()}"
    # The header panel carries the overall time range; other sections show their own, as printed.
    when = None
    if show_time and section.start is not None:
        when = f"{section.start_text} – {section.end_text}"
    tables = [top_table(name, label, getattr(section, name)) for name, label in LISTS]
    return Panel(Columns(tables, padding=(1, 3)),
                 title=f"[bold]{heading}[/] · {figures}", title_align="left",
                 subtitle=when, subtitle_align="right")


class _Passes:
    """The pass panels: side by side on a wide console, stacked on a narrow one."""

    def __init__(self, panels: list[RenderableType]) -> None:
        self.panels = panels

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if len(self.panels) > 1 and options.max_width >= SIDE_BY_SIDE_MIN_WIDTH:
            grid = Table.grid(expand=True, padding=(0, 1))
            for _ in self.panels:
                grid.add_column(ratio=1)
            grid.add_row(*self.panels)
            yield grid
        else:
            yield from self.panels


def _pass_title(p: PassReport) -> str:
    return PASS_TITLES.get(p.name, p.name)


def other_protocols_line(inputs: InputReport) -> Optional[Text]:
    if not inputs.other_protocols:
        return None
    t = Text()
    t.append("Other protocols", "bold yellow")
    t.append(" (counted, not in the engine's tables): ")
    t.append(" · ".join(f"{protocol_label(p)}: {c:,}" for p, c in inputs.other_protocols))
    t.append(f" · payload {fmt_count(inputs.other_protocols_payload)}")
    return t


def _interval_key(s: Section) -> tuple[str, str, str, str]:
    return (s.start_text, s.end_text, s.connections_text.strip(), s.payload_text.strip())


class _IntervalRows:
    """The interval rows, laid out at render time for the width there is: start and end,
    or the start only (each ends where its length, in the title, says), and the bar only
    where it fits, so that no column (title or time) is cut on a narrow console."""

    TIME_WIDTH = 19                     # "2024-05-01-12-00-00", as the engine prints it

    def __init__(self, intervals: list[Section]) -> None:
        self.intervals = intervals

    def _table(self, with_end: bool, with_bar: bool) -> Table:
        busiest = max((s.connections for s in self.intervals), default=0.0)
        table = Table(box=None, padding=(0, 1), pad_edge=False, header_style="bold")
        table.add_column("Start", no_wrap=True)
        if with_end:
            table.add_column("End", no_wrap=True)
        table.add_column("Connections", justify="right", no_wrap=True)
        table.add_column("Payload", justify="right", no_wrap=True)
        if with_bar:
            table.add_column("", style="green", no_wrap=True)
        for s in self.intervals:
            times = [s.start_text, s.end_text] if with_end else [s.start_text]
            cells = times + [_count_text(s.connections, s.connections_text), s.payload_text.strip()]
            if with_bar:
                cells.append(bar(100 * s.connections / busiest if busiest else 0.0))
            table.add_row(*cells)
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        figures = len("Connections") + 1 + len("Payload") + 1   # each column and its gap
        width = options.max_width
        if width >= 2 * (self.TIME_WIDTH + 1) + figures + BAR_WIDTH:
            yield self._table(with_end=True, with_bar=True)
        elif width >= self.TIME_WIDTH + 1 + figures + BAR_WIDTH:
            yield self._table(with_end=False, with_bar=True)
        else:
            yield self._table(with_end=False, with_bar=False)


def intervals_table(intervals: list[Section], title: str) -> Panel:
    """Interval sections hold only totals: one row each, with a bar against the busiest."""
    return Panel(_IntervalRows(intervals), title=title, title_align="left")


def intervals_view(summary: Summary) -> Optional[RenderableType]:
    """The per-interval totals. Both passes print the same ones, so one table; a pass
    whose intervals differ (never seen) gets its own rather than being hidden."""
    per_pass = [(p, [s for s in p.sections if s.kind == "interval"]) for p in summary.passes]
    per_pass = [(p, found) for p, found in per_pass if found]
    if not per_pass:
        return None
    length = str(summary.options.get("intervals") or "")
    # The engine's own notation: bare seconds, or m/h (1d arrives as 24h).
    every = f" × {length}{'s' if length.isdigit() else ''}" if length else ""
    if len({tuple(_interval_key(s) for s in found) for _, found in per_pass}) == 1:
        found = per_pass[0][1]
        return intervals_table(found, f"[bold]Intervals[/] · {len(found)}{every}")
    return Group(*(intervals_table(found, f"[bold]{_pass_title(p)} · Intervals[/] · {len(found)}{every}")
                   for p, found in per_pass))


def _sections_of(summary: Summary, all_sections: bool) -> list[Section]:
    out = []
    for p in summary.passes:
        out.extend(p.sections if all_sections else [s for s in p.sections if s.kind == "total"])
    return out


def legend(summary: Summary, all_sections: bool) -> Optional[Panel]:
    """The conn states and services present, with what they mean."""
    sections = _sections_of(summary, all_sections)
    states = {str(r.value) for s in sections for r in s.states}
    services: list[str] = []
    for s in sections:
        for r in s.services:
            if str(r.value) not in services:
                services.append(str(r.value))
    table = Table(box=None, show_header=True, padding=(0, 2), pad_edge=False)
    table.add_column("Code", style="bold", no_wrap=True)
    table.add_column("Meaning")
    # Zeek's documented order for states, then any the table does not know.
    for st in [s for s in CONN_STATES if s in states] + sorted(states - set(CONN_STATES)):
        table.add_row(st, state_meaning(st) or "(not a Zeek conn_state)")
    for sv in services:
        meaning = service_meaning(sv)
        if meaning:
            table.add_row(f"service {sv}", meaning)
    if not table.row_count:
        return None
    return Panel(table, title="Legend", title_align="left", border_style="dim")


def local_nets_view(p: PassReport) -> Optional[RenderableType]:
    if not p.local_nets and not p.non_local_pairs:
        return None
    parts: list[RenderableType] = []
    if p.local_nets:
        t = Table(title="Local networks by connections", title_justify="left", title_style="bold",
                  box=None, padding=(0, 2), pad_edge=False)
        t.add_column("#", justify="right")
        t.add_column("Connections", justify="right")
        t.add_column("Network")
        t.add_column("Label")
        for r in p.local_nets:
            t.add_row(str(r.rank), r.connections_text.strip(), r.network, r.label)
        parts.append(t)
    if p.non_local_count:
        pairs = "\n".join(f"{a} ↔ {b}" for a, b in p.non_local_pairs)
        parts.append(Text(f"{p.non_local_count} connections had no local address; the first:\n{pairs}"))
    return Panel(Group(*parts), title="Local networks", title_align="left", border_style="dim")


def _wanted(sections: str) -> set[str]:
    return {name.strip() for name in sections.split(",") if name.strip()}


def render_rich(summary: Summary, *, explain: bool = False,
                sections: Optional[str] = None) -> RenderableType:
    """The whole terminal view as one renderable.

    ``sections`` as for plain output ("total", "all", or a comma list such as
    "interval,total"); by default the ``sections`` option recorded in the summary.
    """
    wanted = _wanted(sections if sections is not None else str(summary.options.get("sections", "total")))
    all_sections = "all" in wanted
    parts: list[RenderableType] = [header_panel(summary)]
    line = other_protocols_line(summary.inputs)
    if line is not None:
        parts.append(line)
    totals = [section_view(p.total, title=_pass_title(p), show_time=False)
              for p in summary.passes if p.total is not None]
    parts.append(_Passes(totals))
    if all_sections or "interval" in wanted:
        intervals = intervals_view(summary)
        if intervals is not None:
            parts.append(intervals)
    if all_sections:
        nets = local_nets_view(summary.passes[0]) if summary.passes else None
        if nets is not None:
            parts.append(nets)
        for p in summary.passes:
            for s in p.sections:
                if s.kind not in ("total", "interval"):
                    parts.append(section_view(s, title=f"{_pass_title(p)} · {s.title}"))
    if explain:
        leg = legend(summary, all_sections)
        if leg is not None:
            parts.append(leg)
    return Group(*parts)
