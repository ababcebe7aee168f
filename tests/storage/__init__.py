
import re

STOPPED_3_NIGHTS = re.compile(r"last backup (?:3\.\d|4\.0) days ago")
"""The age a repository whose backups stopped 3 nights ago is said with (faults.stop_backups):
its last run was at 02:00 three nights before the latest 02:00, so 3.0 to 4.0 days ago by the
time of day — "4.0" from 00:48 to 02:00 UTC (a run in that hour failed on "3.")."""
