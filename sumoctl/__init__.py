"""sumoctl: detection-as-code for Sumo Logic."""

__version__ = "0.1.0"
