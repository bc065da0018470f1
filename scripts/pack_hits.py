"""What the detection pack finds in every public CloudTrail file of ../shared/data/cloudtrail/, with each hit justified.

Runs every enabled detection, rendered for one environment (default `example`) exactly as it deploys, over each
replay unit of each file, and writes a Markdown table (docs/pack-hits.md). Replay units follow how the records were
captured: each Stratus Red Team detonation ran in its own account at its own time, so each is replayed alone; the
two Panther scenarios share account, root ARN and timestamps, so each is replayed alone (data README); the other files
are collections of independent samples and are replayed whole.

Every hit must have a verdict and a reason in JUSTIFIED below, and every entry of JUSTIFIED must still fire: the script
exits 1 otherwise, so the checked-in table is always fully explained and stays a regression test of the pack.

    python scripts/pack_hits.py                  # write docs/pack-hits.md
    python scripts/pack_hits.py --check          # exit 1 when docs/pack-hits.md is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sumoctl.engine import Runner, compile_query, display  # noqa: E402
from sumoctl.events import Metadata, RawEvent  # noqa: E402
from sumoctl.project import load_project  # noqa: E402
from sumoctl.query import parse  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "cloudtrail"
FILES = [
    "stratus_red_team_detonations",
    "panther_test_scenarios",
    "elastic_integrations_cloudtrail_subset",
    "awsdocs_cloudtrail_user_guide_examples",
    "otrf_ec2_proxy_s3_exfiltration",
]
TP, EXPECTED = "true positive", "expected positive"
UNUSUAL_REGION = "cloudtrail-unusual-region-activity"

# (detection id, replay unit) -> (verdict, why). A unit is "<file>" or "<file> / <detonation or scenario>".
S = "stratus_red_team_detonations / "
P = "panther_test_scenarios / "
E = "elastic_integrations_cloudtrail_subset"
D = "awsdocs_cloudtrail_user_guide_examples"
SCRAMBLED = "Stratus scrambled the region names when anonymising, so no record is in an allowed region"
JUSTIFIED: dict[tuple[str, str], tuple[str, str]] = {
    # --- the blog's searches -------------------------------------------------------------------------------------
    ("cloudtrail-defense-evasion", S + "aws.defense-evasion.cloudtrail-delete"): (TP, "DeleteTrail: the detonation deletes a trail"),
    ("cloudtrail-defense-evasion", S + "aws.defense-evasion.cloudtrail-stop"): (TP, "StopLogging: the detonation stops a trail"),
    ("cloudtrail-defense-evasion", P + "compromised-root-creds"): (TP, "the attacker's StopLogging as root (failed: NotOrganizationMasterAccountException; attempts are kept)"),
    ("cloudtrail-defense-evasion", E): (TP, "DeleteLogGroup and DeleteLogStream samples"),
    ("cloudtrail-suspicious-console-login", P + "compromised-root-creds"): (TP, "root console sign-ins without MFA from Romania (attacker), outside allowed_countries US"),
    ("cloudtrail-suspicious-console-login", P + "enrichment-example"): (TP, "root console sign-ins without MFA from Bolivia (attacker)"),
    ("cloudtrail-suspicious-console-login", E): (EXPECTED, "sign-ins without MFA from 89.160.20.156, which geolocates to Sweden (MaxMind test address)"),
    # --- the pack ------------------------------------------------------------------------------------------------
    ("cloudtrail-root-account-usage", P + "compromised-root-creds"): (TP, "every event of the story is root: the victim's sign-ins and SetContactAddress, the attacker's sign-ins, CreateAccessKey, CreateUser, AttachUserPolicy"),
    ("cloudtrail-root-account-usage", P + "enrichment-example"): (TP, "the same story from Bolivia: all root"),
    ("cloudtrail-root-account-usage", D): (EXPECTED, "the AWS docs' root sign-in, EnableMFADevice and PasswordUpdated examples are root activity"),
    ("cloudtrail-root-access-key-created", P + "compromised-root-creds"): (TP, "the attacker creates an access key for root itself"),
    ("cloudtrail-root-access-key-created", P + "enrichment-example"): (TP, "the same root key creation from Bolivia"),
    ("cloudtrail-access-key-for-other-user", S + "aws.persistence.iam-backdoor-user"): (TP, "a second access key for an existing user"),
    ("cloudtrail-access-key-for-other-user", S + "aws.persistence.iam-create-admin-user"): (TP, "an access key for the newly created admin user"),
    ("cloudtrail-access-key-for-other-user", P + "compromised-root-creds"): (TP, "root mints an access key for the user it just created (tracy_stone)"),
    ("cloudtrail-login-profile-for-other-user", S + "aws.persistence.iam-create-user-login-profile"): (TP, "CreateLoginProfile gives another user a console password"),
    ("cloudtrail-login-profile-for-other-user", S + "aws.privilege-escalation.iam-update-user-login-profile"): (TP, "UpdateLoginProfile resets another user's password"),
    ("cloudtrail-iam-user-created", S + "aws.persistence.iam-create-admin-user"): (TP, "CreateUser of the backdoor admin user"),
    ("cloudtrail-iam-user-created", P + "compromised-root-creds"): (TP, "the attacker creates tracy_stone"),
    ("cloudtrail-iam-user-created", P + "enrichment-example"): (TP, "the attacker creates jacknagz"),
    ("cloudtrail-iam-user-created", D): (EXPECTED, "the docs' CreateUser example (no allowed_principals in the example environment)"),
    ("cloudtrail-console-login-after-failures", P + "compromised-root-creds"): (TP, "three failures then a success from 92.55.146.245"),
    ("cloudtrail-console-login-after-failures", P + "enrichment-example"): (TP, "three failures then a success from 200.58.83.179"),
    ("cloudtrail-console-login-outside-business-hours", P + "compromised-root-creds"): (TP, "the attacker's root sign-in on Sunday 08:29; the victim's three sign-ins at 06:00 UTC are expected positives too (before 08:00 in the example environment's UTC, and 23:00-02:00 in the victim's own US time zone)"),
    ("cloudtrail-console-login-outside-business-hours", P + "enrichment-example"): (TP, "the same story: the attacker's Sunday sign-in, and the victim's 06:00 UTC sign-ins (expected)"),
    ("cloudtrail-admin-policy-attached", S + "aws.persistence.iam-create-admin-user"): (TP, "AdministratorAccess attached to the new user"),
    ("cloudtrail-admin-policy-attached", S + "aws.persistence.iam-create-backdoor-role"): (TP, "AdministratorAccess attached to the backdoor role"),
    ("cloudtrail-admin-policy-attached", P + "compromised-root-creds"): (TP, "IAMFullAccess attached to tracy_stone (lets him grant himself anything)"),
    ("cloudtrail-admin-policy-attached", E): (TP, "an EC2 instance role attaches AdministratorAccess to pwncloud-backdoor-user"),
    ("cloudtrail-role-trust-external-account", S + "aws.persistence.iam-backdoor-role"): (TP, "trust policy opened to account 193672423079"),
    ("cloudtrail-role-trust-external-account", S + "aws.persistence.iam-create-backdoor-role"): (TP, "new role trusting account 193672423079"),
    ("cloudtrail-role-trust-external-account", D): (EXPECTED, "the docs' CreateRole example trusts another account (210987654321): a real cross-account role, to be allow-listed if wanted"),
    ("cloudtrail-ebs-snapshot-shared", S + "aws.exfiltration.ec2-share-ebs-snapshot"): (TP, "snapshot shared with account 098797384747"),
    ("cloudtrail-ami-shared", S + "aws.exfiltration.ec2-share-ami"): (TP, "AMI shared with account 846424999548"),
    ("cloudtrail-rds-snapshot-shared", S + "aws.exfiltration.rds-share-snapshot"): (TP, "DB snapshot shared with account 503161813013"),
    ("cloudtrail-security-monitoring-disabled", E): (TP, "GuardDuty DeleteDetector sample"),
    (UNUSUAL_REGION, E): (EXPECTED, "a Managed Grafana action and an S3 Express ListDirectoryBuckets in eu-west-1, outside the example environment's allowed regions (us-east-1, us-east-2, us-west-2)"),
    ("cloudtrail-bedrock-model-access-enabled", S + "aws.impact.bedrock-invoke-model"): (TP, "use-case form, model agreement and entitlement for Claude 3 Sonnet before invoking it"),
    ("cloudtrail-ec2-gpu-instances-launched", S + "aws.execution.ec2-launch-unusual-instances"): (TP, "ten p2.xlarge requested (denied)"),
    ("cloudtrail-ec2-gpu-instances-launched", P + "compromised-root-creds"): (TP, "the attacker's new user tracy_stone launches a p2.8xlarge right after getting keys"),
    ("cloudtrail-lambda-code-or-layer-changed", S + "aws.persistence.lambda-layer-extension"): (TP, "an extension layer added to a function"),
    ("cloudtrail-lambda-code-or-layer-changed", S + "aws.persistence.lambda-overwrite-code"): (TP, "function code overwritten"),
    ("cloudtrail-roles-anywhere-trust-anchor", S + "aws.persistence.rolesanywhere-create-trust-anchor"): (TP, "a trust anchor for an outside CA, then a profile naming a role"),
    ("cloudtrail-vpc-flow-logs-deleted", S + "aws.defense-evasion.vpc-remove-flow-logs"): (TP, "DeleteFlowLogs"),
    ("cloudtrail-dns-query-logging-deleted", S + "aws.defense-evasion.dns-delete-logs"): (TP, "DeleteResolverQueryLogConfig"),
    ("cloudtrail-dns-query-logging-deleted", E): (TP, "DeleteResolverQueryLogConfig sample"),
    ("cloudtrail-trail-event-selectors-narrowed", S + "aws.defense-evasion.cloudtrail-event-selectors"): (TP, "management events turned off, ReadOnly"),
    ("cloudtrail-security-group-opened-to-world", S + "aws.exfiltration.ec2-security-group-open-port-22-ingress"): (TP, "port 22 opened to a /0 range"),
    ("cloudtrail-ec2-password-data-read", S + "aws.credential-access.ec2-get-password-data"): (TP, "thirty denied GetPasswordData calls on thirty instances"),
    ("cloudtrail-ec2-user-data-read", S + "aws.discovery.ec2-download-user-data"): (TP, "userData read (denied) on fifteen instances"),
    ("cloudtrail-ec2-user-data-modified", S + "aws.execution.ec2-user-data"): (TP, "ModifyInstanceAttribute replacing userData between stop and start"),
    ("cloudtrail-secrets-bulk-read", S + "aws.credential-access.secretsmanager-retrieve-secrets"): (TP, "twenty secrets read in one minute"),
    ("cloudtrail-secrets-bulk-read", S + "aws.credential-access.secretsmanager-batch-retrieve-secrets"): (TP, "BatchGetSecretValue"),
    ("cloudtrail-ssm-parameters-bulk-read", S + "aws.credential-access.ssm-retrieve-securestring-parameters"): (TP, "five decrypting GetParameters calls"),
    ("cloudtrail-lambda-public-access", S + "aws.persistence.lambda-backdoor-function"): (TP, "AddPermission with principal *"),
    ("cloudtrail-organizations-leave", S + "aws.defense-evasion.organizations-leave"): (TP, "LeaveOrganization attempt (denied)"),
    ("cloudtrail-ec2-remote-access-key-pushed", S + "aws.lateral-movement.ec2-instance-connect"): (TP, "SendSSHPublicKey to three instances"),
    ("cloudtrail-ec2-remote-access-key-pushed", S + "aws.lateral-movement.ec2-serial-console-send-ssh-public-key"): (TP, "EnableSerialConsoleAccess and SendSerialConsoleSSHPublicKey"),
    ("cloudtrail-ssm-remote-command", S + "aws.execution.ssm-send-command"): (TP, "SendCommand (AWS-RunShellScript) on three instances"),
    ("cloudtrail-ssm-remote-command", S + "aws.execution.ssm-start-session"): (TP, "StartSession on three instances"),
    ("cloudtrail-ssm-remote-command", S + "aws.credential-access.ec2-steal-instance-credentials"): (TP, "SendCommand used to read the instance's credentials"),
}
# Every Stratus detonation outside the global services fires the region detection: their regions were scrambled.


def replay_units() -> list[tuple[str, str, list[dict]]]:
    """(file, unit label, records) in file order."""
    units = []
    for name in FILES:
        records = [json.loads(line) for line in (DATA / f"{name}.jsonl").read_text().splitlines() if line.strip()]
        index_path = DATA / f"{name}.index.jsonl"
        index = [json.loads(line) for line in index_path.read_text().splitlines()] if index_path.exists() else []
        if name == "stratus_red_team_detonations":
            key = lambda i: index[i]["technique"]  # noqa: E731
        elif name == "panther_test_scenarios":
            key = lambda i: index[i]["source_path"].split("/")[1]  # noqa: E731
        else:
            key = lambda i: ""  # noqa: E731
        groups: dict[str, list[dict]] = defaultdict(list)
        for i, record in enumerate(records):
            groups[key(i)].append(record)
        for label, members in groups.items():
            units.append((name, f"{name} / {label}" if label else name, members))
    return units


def _summary(rows: list[dict]) -> str:
    def one(row: dict) -> str:
        parts = []
        for k, v in row.items():
            if k.startswith("_") or v is None or k in ("user_agent", "raw"):
                continue
            text = str(display(v)).replace("\n", ", ")
            parts.append(f"{k}={text[:60] + '…' if len(text) > 60 else text}")
        return "; ".join(parts)
    shown = one(rows[0])
    return shown + (f" (+{len(rows) - 1} more rows)" if len(rows) > 1 else "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


@dataclass
class Hits:
    env: str
    detections: list[str]                              # enabled detection ids, sorted
    rows: dict[tuple[str, str], list[dict]]            # (detection id, replay unit) -> result rows
    per_file: dict[tuple[str, str], int]               # (detection id, file) -> result rows


def collect(env: str) -> Hits:
    """Run every enabled detection over every replay unit: each query is parsed once, and each unit is one pass."""
    project = load_project(REPO)
    rendered = [r for r in (project.render(d, env) for d in sorted(project.detections)) if r.enabled]
    parsed = [parse(r.query) for r in rendered]
    metadata = Metadata(source_category=rendered[0].params["source_category"])
    hits = Hits(env, [r.id for r in rendered], {}, defaultdict(int))
    for file, label, records in replay_units():
        runner = Runner([compile_query(q) for q in parsed], metadata)
        runner.feed(RawEvent(label, i, record=record) for i, record in enumerate(records, 1))
        for r, rows in zip(rendered, runner.results()):
            if rows:
                hits.rows[(r.id, label)] = rows
                hits.per_file[(r.id, file)] += len(rows)
    return hits


def run(env: str) -> tuple[str, list[str]]:
    return report(collect(env))


def report(hits: Hits) -> tuple[str, list[str]]:
    """The Markdown table, and every hit without a justification or justification without a hit."""
    env, per_file = hits.env, hits.per_file
    problems = []
    lines = [
        "# What the detection pack finds in the public CloudTrail records",
        "",
        f"<!-- Generated by `python scripts/pack_hits.py`; do not edit by hand. Environment: {env}. -->",
        "",
        f"Every enabled detection ({len(hits.detections)}), rendered for the `{env}` environment exactly as deployed, run by the "
        "offline engine over each replay unit of every file in `../shared/data/cloudtrail/`. Stratus Red Team "
        "detonations and the two Panther scenarios are replayed one at a time (each ran in its own account and time, "
        "or shares account and times with the other); the other files are replayed whole. Rows are result rows.",
        "",
        "## Rows per detection and file",
        "",
        "| detection | " + " | ".join(f.split("_")[0] for f in FILES) + " |",
        "|---|" + "---|" * len(FILES),
    ]
    for detection_id in hits.detections:
        counts = [per_file.get((detection_id, f), 0) for f in FILES]
        if any(counts):
            lines.append(f"| `{detection_id}` | " + " | ".join(str(c) if c else "" for c in counts) + " |")
    silent = [d for d in hits.detections if not any(per_file.get((d, f)) for f in FILES)]
    lines += ["", "Silent on every file (no public record exercises them; their test cases use constructed records): " + ", ".join(f"`{s}`" for s in silent), ""]

    lines += ["## Every hit, justified", "", "| detection | replay unit | rows | first row | verdict | why |", "|---|---|---|---|---|---|"]
    for (detection_id, label), rows in sorted(hits.rows.items()):
        verdict, why = JUSTIFIED.get((detection_id, label), (None, ""))
        if detection_id == UNUSUAL_REGION and label.startswith(S):
            verdict, why = EXPECTED, SCRAMBLED
        if verdict is None:
            problems.append(f"unjustified hit: {detection_id} on {label}: {_summary(rows)}")
            verdict = "**UNJUSTIFIED**"
        lines.append(f"| `{detection_id}` | {label} | {len(rows)} | {_cell(_summary(rows))} | {verdict} | {_cell(why)} |")
    for key, (verdict, _) in JUSTIFIED.items():
        if verdict is not None and key not in hits.rows:
            problems.append(f"justified but no longer fires: {key[0]} on {key[1]}")
    return "\n".join(lines) + "\n", problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="example")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "pack-hits.md")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when the output is stale")
    args = parser.parse_args(argv)
    text, problems = run(args.env)
    for problem in problems:
        print(problem, file=sys.stderr)
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run python scripts/pack_hits.py", file=sys.stderr)
            return 1
        return 1 if problems else 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
