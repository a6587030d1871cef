"""Importers: other tools' SLO specs (Sloth, Pyrra, OpenSLO) to formatted `.slo` text.

Each format has a reader module that turns located YAML (`yamlsrc.py`) into
the small neutral model of `model.py`, warning at the input's `file:line` for
every field it cannot carry; `write.py` turns the model into `.slo` text and
runs it through `slo fmt`'s layout. `run.py` is what `slo import` calls.
"""
