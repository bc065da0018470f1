"""A detections repository: load and validate its files, render detections for one environment."""

from sumoctl.project.loader import Project, ProjectInvalid, load_project
from sumoctl.project.render import RenderedDetection, sumo_list, sumo_string

__all__ = ["Project", "ProjectInvalid", "RenderedDetection", "load_project", "sumo_list", "sumo_string"]
