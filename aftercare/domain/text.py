"""`N_` marks messages for translation where they are written; pages translate them on show."""


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    return message
