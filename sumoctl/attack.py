"""The part of MITRE ATT&CK (Enterprise) that CloudTrail detections touch: technique and tactic names, and which
tactics each technique belongs to.

Written by hand from the ATT&CK Enterprise matrix (v16) for the techniques this project's detections use; a technique
missing here is reported by `sumoctl coverage` as unknown rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

ATTACK_VERSION = "16"
TECHNIQUE_URL = "https://attack.mitre.org/techniques/{path}/"
TACTIC_URL = "https://attack.mitre.org/tactics/{id}/"


@dataclass(frozen=True)
class Tactic:
    id: str          # TA0005
    shortname: str   # defense-evasion: the name the Navigator uses
    name: str        # Defense Evasion


@dataclass(frozen=True)
class Technique:
    id: str                     # T1562.008
    name: str                   # Impair Defenses: Disable or Modify Cloud Logs
    tactics: tuple[str, ...]    # tactic shortnames

    @property
    def parent(self) -> str | None:
        return self.id.split(".")[0] if "." in self.id else None

    @property
    def url(self) -> str:
        return TECHNIQUE_URL.format(path=self.id.replace(".", "/"))


# In the order of the Enterprise matrix, so reports read left to right like the Navigator.
TACTICS: dict[str, Tactic] = {t.id: t for t in (
    Tactic("TA0043", "reconnaissance", "Reconnaissance"),
    Tactic("TA0042", "resource-development", "Resource Development"),
    Tactic("TA0001", "initial-access", "Initial Access"),
    Tactic("TA0002", "execution", "Execution"),
    Tactic("TA0003", "persistence", "Persistence"),
    Tactic("TA0004", "privilege-escalation", "Privilege Escalation"),
    Tactic("TA0005", "defense-evasion", "Defense Evasion"),
    Tactic("TA0006", "credential-access", "Credential Access"),
    Tactic("TA0007", "discovery", "Discovery"),
    Tactic("TA0008", "lateral-movement", "Lateral Movement"),
    Tactic("TA0009", "collection", "Collection"),
    Tactic("TA0011", "command-and-control", "Command and Control"),
    Tactic("TA0010", "exfiltration", "Exfiltration"),
    Tactic("TA0040", "impact", "Impact"),
)}
TACTIC_BY_SHORTNAME = {t.shortname: t for t in TACTICS.values()}

_VALID = ("initial-access", "persistence", "privilege-escalation", "defense-evasion")
_ACCOUNT_MANIPULATION = ("persistence", "privilege-escalation")
_AUTH_PROCESS = ("credential-access", "defense-evasion", "persistence")

TECHNIQUES: dict[str, Technique] = {t.id: t for t in (
    Technique("T1021", "Remote Services", ("lateral-movement",)),
    Technique("T1021.004", "Remote Services: SSH", ("lateral-movement",)),
    Technique("T1059", "Command and Scripting Interpreter", ("execution",)),
    Technique("T1059.009", "Command and Scripting Interpreter: Cloud API", ("execution",)),
    Technique("T1078", "Valid Accounts", _VALID),
    Technique("T1078.004", "Valid Accounts: Cloud Accounts", _VALID),
    Technique("T1087", "Account Discovery", ("discovery",)),
    Technique("T1087.004", "Account Discovery: Cloud Account", ("discovery",)),
    Technique("T1098", "Account Manipulation", _ACCOUNT_MANIPULATION),
    Technique("T1098.001", "Account Manipulation: Additional Cloud Credentials", _ACCOUNT_MANIPULATION),
    Technique("T1098.003", "Account Manipulation: Additional Cloud Roles", _ACCOUNT_MANIPULATION),
    Technique("T1110", "Brute Force", ("credential-access",)),
    Technique("T1110.001", "Brute Force: Password Guessing", ("credential-access",)),
    Technique("T1110.003", "Brute Force: Password Spraying", ("credential-access",)),
    Technique("T1136", "Create Account", ("persistence",)),
    Technique("T1136.003", "Create Account: Cloud Account", ("persistence",)),
    Technique("T1190", "Exploit Public-Facing Application", ("initial-access",)),
    Technique("T1199", "Trusted Relationship", ("initial-access",)),
    Technique("T1485", "Data Destruction", ("impact",)),
    Technique("T1486", "Data Encrypted for Impact", ("impact",)),
    Technique("T1496", "Resource Hijacking", ("impact",)),
    Technique("T1496.001", "Resource Hijacking: Compute Hijacking", ("impact",)),
    Technique("T1496.004", "Resource Hijacking: Cloud Service Hijacking", ("impact",)),
    Technique("T1526", "Cloud Service Discovery", ("discovery",)),
    Technique("T1530", "Data from Cloud Storage", ("collection",)),
    Technique("T1535", "Unused/Unsupported Cloud Regions", ("defense-evasion",)),
    Technique("T1537", "Transfer Data to Cloud Account", ("exfiltration",)),
    Technique("T1546", "Event Triggered Execution", ("privilege-escalation", "persistence")),
    Technique("T1552", "Unsecured Credentials", ("credential-access",)),
    Technique("T1552.005", "Unsecured Credentials: Cloud Instance Metadata API", ("credential-access",)),
    Technique("T1555", "Credentials from Password Stores", ("credential-access",)),
    Technique("T1555.006", "Credentials from Password Stores: Cloud Secrets Management Stores", ("credential-access",)),
    Technique("T1556", "Modify Authentication Process", _AUTH_PROCESS),
    Technique("T1556.006", "Modify Authentication Process: Multi-Factor Authentication", _AUTH_PROCESS),
    Technique("T1562", "Impair Defenses", ("defense-evasion",)),
    Technique("T1562.001", "Impair Defenses: Disable or Modify Tools", ("defense-evasion",)),
    Technique("T1562.007", "Impair Defenses: Disable or Modify Cloud Firewall", ("defense-evasion",)),
    Technique("T1562.008", "Impair Defenses: Disable or Modify Cloud Logs", ("defense-evasion",)),
    Technique("T1580", "Cloud Infrastructure Discovery", ("discovery",)),
    Technique("T1648", "Serverless Execution", ("execution",)),
    Technique("T1651", "Cloud Administration Command", ("execution",)),
    Technique("T1666", "Modify Cloud Resource Hierarchy", ("defense-evasion",)),
)}


def technique(technique_id: str) -> Technique | None:
    return TECHNIQUES.get(technique_id)


def tactic(tactic_id: str) -> Tactic | None:
    return TACTICS.get(tactic_id)


def technique_name(technique_id: str) -> str:
    known = TECHNIQUES.get(technique_id)
    return known.name if known else "(not in sumoctl's ATT&CK table)"
