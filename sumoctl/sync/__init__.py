"""`sumoctl.sync`: desired state from detections, remote state from Sumo, plan, apply, drift and import.

Stateless: each managed object carries a marker (tags or a description line) with its detection id and digests of
what sumoctl last applied, so the managed folders in Sumo are the state.
"""

from sumoctl.sync.apply import ApplyResult, apply_plan
from sumoctl.sync.desired import DesiredState, desired_state
from sumoctl.sync.diff import make_plan
from sumoctl.sync.drift import DriftItem, DriftReport, detect_drift
from sumoctl.sync.markers import Marker, State
from sumoctl.sync.objects import DesiredObject, Kind, RemoteObject
from sumoctl.sync.plan import Action, Change, FieldChange, Plan, Unmanaged
from sumoctl.sync.remote import RemoteState, read_remote
from sumoctl.sync.secrets import Secrets, read_secrets
from sumoctl.sync.session import Planned, SyncSession

__all__ = [
    "Action", "ApplyResult", "Change", "DesiredObject", "DesiredState", "DriftItem", "DriftReport", "FieldChange",
    "Kind", "Marker", "Plan", "Planned", "RemoteObject", "RemoteState", "Secrets", "State", "SyncSession",
    "Unmanaged", "apply_plan", "desired_state", "detect_drift", "make_plan", "read_remote", "read_secrets",
]
