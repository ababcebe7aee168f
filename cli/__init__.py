"""The ``hadeck`` command line, above the core: it may import the core, the lab and the faces."""
