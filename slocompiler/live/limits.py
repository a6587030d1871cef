"""Every bound a live command keeps, whatever a server answers or a user asks (docs/LIVE.md, "Limits").

A release gate runs unattended: a broken or hostile server must make it
fail with one clear line, never hang it or let it eat the machine.
"""

from __future__ import annotations

MIB = 1024 * 1024
# Times a server or a user may name: 1970 to 9999 (10000-01-01T00:00:00Z is MAX_TIME).
MAX_TIME = 253_402_300_800
# Prometheus refuses a range query of more than 11,000 points per series.
MAX_POINTS = 11_000
# `slo backtest`: values held at once (SLOs x groups x windows x evaluations,
# and the 5m rates longer windows are summed from), about 40 bytes each.
MAX_VALUES = 20_000_000
# Steps one range query may span in all (its chunks of MAX_POINTS together):
# no more than a backtest may hold, and so a bound on the chunk loop.
MAX_RANGE_STEPS = MAX_VALUES
# One answer, counted after decompression: a gzip bomb stops here. Parsed,
# an answer takes several times its size in memory (Python objects).
MAX_ANSWER = 64 * MIB
# All answers being read or parsed at once, across --concurrency requests.
MAX_IN_FLIGHT = 128 * MIB
# Prometheus's own error messages are short; a proxy's may be a whole page.
MAX_MESSAGE = 300
# --timeout: a bound on each request, so no more than a day.
MAX_TIMEOUT = 86_400
