"""The Textual dashboard (installed as ``hadeck.tui``)."""
