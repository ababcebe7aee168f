"""The watch loop, headless: poll, carry last good values over, diff states into events.

The dashboard runs it in a thread worker; the actions' "wait until settled", the probes'
loop and any other face can run it too. Nothing here imports textual or rich.
"""
