"""Triage eligibility findings (SPEC §3)."""

from __future__ import annotations

from dataclasses import dataclass

from aftercare.domain.text import N_

POLICY_FUND_WINDOW_YEARS = 3


@dataclass(frozen=True)
class Finding:
    code: str
    ok: bool
    message: str


def eligibility_findings(
    size: str, built_year: int | None, policy_fund_year: int | None, support_type: str, year: int
) -> list[Finding]:
    """Check size class, a built smart factory, and (growth) a recent policy-fund investment."""
    findings = [
        Finding(
            "size",
            size in ("micro", "small"),
            N_("The firm is a small enterprise.")
            if size in ("micro", "small")
            else N_("The firm is not a small enterprise (size class medium)."),
        ),
        Finding(
            "smart_factory",
            built_year is not None,
            N_("The firm has built a smart factory.")
            if built_year is not None
            else N_("The firm has no smart factory build year on record."),
        ),
    ]
    if support_type == "growth":
        recent = (
            policy_fund_year is not None and year - policy_fund_year <= POLICY_FUND_WINDOW_YEARS
        )
        findings.append(
            Finding(
                "policy_fund",
                recent,
                N_("Policy-fund facility investment within the last 3 years.")
                if recent
                else N_("No policy-fund facility investment within the last 3 years."),
            )
        )
    return findings


def is_eligible(findings: list[Finding]) -> bool:
    return all(f.ok for f in findings)
