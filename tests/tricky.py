"""Strings that YAML, JSON, Markdown and Go templates could mistake for structure."""

TRICKY = [
    "", " ", "a b", "true", "No", "null", "~", "1", "1.5", "0x10", "1:30", "2001-12-14", "5m", "1h30m", ".inf", "-", "- a",
    "#x", "a #b", "a: b", "a:b", "{{ $value }}", "[x]", "&a", "*a", "!x", "%x", "@x", "`x`", "'q'", '"q"', "|", ">",
    "a\nb", "a\n", "\na", " a\nb", "a \nb", "a\n\nb", "a\r\nb", "a\tb", "\x00", "\x7f", "\x85", "\u2028", "\ufeff", "é ü 中",
    "http://x/#a:b", "back\\slash", "A:", "a::", "a:b:",
]
