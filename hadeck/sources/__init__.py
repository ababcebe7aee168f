"""One module per real system; each a pure parser plus a small reader.

A parser takes the exact text a tool prints and returns model objects; it does no I/O and
raises :class:`hadeck.sources.base.ParseError` on input it cannot make sense of (never
another exception). A reader runs the tool's :class:`hadeck.runner.Command` through a
runner and returns a :class:`hadeck.sources.base.Reading`: the value, or the reason there
is none, with when and how long it took.
"""
