"""Renderers: model objects back into the exact text the real tools print.

The inverse of the parsers in :mod:`hadeck.sources`: the lab computes model objects for
its state and these pure functions turn them into byte-faithful command output, so the
lab exercises the very parsers used on a real cluster.
"""
