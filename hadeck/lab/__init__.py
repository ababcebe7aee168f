"""The lab: a simulated cluster behind the runner boundary."""
