"""Names from a spec that become file names: each must fit one, and no two files may be one.

`slo build` writes `prometheus/<service>.rules.yml`, `docs/<service>/<slo>.svg`
and more (core/conventions.py lists them all), each first under a longer
temporary name. A name too long for those, or one whose file is another's on
a file system that does not tell upper from lower case (macOS, Windows), is
an error here, at the name: what `slo check` accepts, `slo build` can write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..core import conventions as c
from ..core import ir
from ..core.errors import Diagnostics, Span

_PROBE = "\0"  # stands for the name in a path: no path has a NUL of its own
_SHOWN = 40  # characters of a long name a message repeats


def longest_name(paths: Callable[[str], Iterable[str]]) -> int:
    """The most bytes a name may have for every part of `paths(name)`, as staged, to fit FILE_NAME_MAX."""
    token = "0" * c.STAGING_TOKEN_LENGTH
    added = max(len(c.staged_name(part, token).encode()) - len(_PROBE)
                for path in paths(_PROBE) for part in path.split("/") if _PROBE in part)
    return c.FILE_NAME_MAX - added


# A service's name is also the folder of its SLOs' charts.
SERVICE_NAME_MAX = longest_name(lambda name: (*c.service_paths(name), *c.slo_paths(name, "x")))
SLO_NAME_MAX = longest_name(lambda name: c.slo_paths("x", name))


def is_reserved_service_name(name: str) -> bool:
    """Whether a service of this name would write a file the compiler writes anyway (`readme`, `slo-overview`)."""
    fixed = {path.casefold() for path in c.FIXED_PATHS}
    return any(path.casefold() in fixed for path in c.service_paths(name))


def check_file_names(program: ir.Program, diags: Diagnostics) -> None:
    """Each service and SLO name fits its files; no file is another's or one the compiler writes anyway."""
    fixed = {path.casefold() for path in c.FIXED_PATHS}
    owners: dict[str, ir.Service] = {}
    for service in sorted(program.services, key=lambda s: s.span):
        fits = _fits(service.name, SERVICE_NAME_MAX, "service", service.span,
                     f"{c.prometheus_rules_path('<name>')} and others", diags)
        for slo in service.slos:
            fits = _fits(slo.name, SLO_NAME_MAX, "SLO", slo.span, c.docs_chart_path("<service>", "<name>"), diags) and fits
        if not fits:
            continue
        paths = {*c.service_paths(service.name), *(p for slo in service.slos for p in c.slo_paths(service.name, slo.name))}
        for path in sorted(paths):
            key = path.casefold()
            other = owners.setdefault(key, service)
            if key in fixed:
                diags.error(service.span, f'"{service.name}" is reserved: the compiler writes a file of that name')
                break
            if other.name != service.name:  # the same name twice is check_unique_names's to report
                diags.error(service.span, f'service "{service.name}" would write {path}, the file of service '
                                          f'"{other.name}" at {other.span} where upper and lower case are one')
                break


def _fits(name: str, limit: int, kind: str, span: Span, files: str, diags: Diagnostics) -> bool:
    size = len(name.encode())
    if size <= limit:
        return True
    shown = name if len(name) <= _SHOWN else name[:_SHOWN] + "..."
    diags.error(span, f'{kind} name "{shown}" is {size} characters long, more than the {limit} that fit in the '
                      f"files named after it ({files})",
                hint=f"a file name holds at most {c.FILE_NAME_MAX} bytes, and a build writes each file under a "
                     "longer temporary name first")
    return False
