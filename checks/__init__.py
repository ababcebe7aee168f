"""Nagios / Icinga check plugins (installed as ``hadeck.checks``)."""
