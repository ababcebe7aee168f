"""The lab's one error, in a module of its own so that every face can name it.

Every module of the lab raises :class:`LabError`, and whatever opens a lab for a face
(the command line, the Nagios plugins) catches it; importing it costs nothing and pulls
in neither the scenario driver nor the world.
"""


class LabError(RuntimeError):
    """A lab command failed, or the simulated cluster did not settle."""
