"""Password policy: long enough and not one of the passwords everybody tries first."""

from __future__ import annotations

from datetime import timedelta

from aftercare.domain.text import N_

MIN_LENGTH = 10

COMMON_PASSWORDS = frozenset(
    """
    1234567890 0123456789 12345678910 1234512345 1q2w3e4r5t 1q2w3e4r5t6y qwertyuiop
    qwerty1234 asdfghjkl; password12 password123 password1! passw0rd12 iloveyou12
    qwer1234!! abcd123456 abcdefghij a123456789 1qaz2wsx3edc zaq12wsxcde 1111111111
    0000000000 9876543210 welcome123 admin12345 administrator letmein123 changeme12
    sunshine12 princess12 football12 baseball12 superman12 starwars12 dragon1234
    """.split()  # noqa: SIM905 - a word list reads best as text
)


def password_problems(password: str, email: str = "") -> list[str]:
    """Return the reasons a password is refused (empty when it is acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(N_("Use at least 10 characters."))
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4:
        problems.append(N_("This password is too common or too simple."))
    local = email.split("@")[0].lower()
    if local and len(local) >= 4 and local in lowered:
        problems.append(N_("Do not use your e-mail address in your password."))
    return problems


SLOW_AFTER_FAILURES = 5
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(minutes=15)


def sign_in_wait(failures: int) -> timedelta | None:
    """How long an account refuses sign-ins after `failures` consecutive failures.

    Nothing before the fifth; then one minute, doubling with each further failure, at
    most 15 minutes. A guesser is slowed to a few tries an hour, while a stranger can
    keep an account waiting for minutes, not shut for half an hour at will.
    """
    if failures < SLOW_AFTER_FAILURES:
        return None
    return min(FIRST_WAIT * 2 ** min(failures - SLOW_AFTER_FAILURES, 10), LONGEST_WAIT)
