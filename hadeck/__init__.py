"""hadeck: the operator's deck for small HA virtualization clusters."""

__version__ = "0.1.0"
