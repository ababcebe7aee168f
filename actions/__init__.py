"""Operator actions: plan, preview, execute, audit (installed as ``hadeck.actions``)."""
