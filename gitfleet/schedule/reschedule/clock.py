"""RFC 3339 times as the re-scheduling rules read them. Times come from the status
branch and the inventory, both untrusted: a time that does not parse is ``None`` and
each rule says what that means, rather than raising."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def parse(text: str | None) -> datetime | None:
    """An aware UTC datetime, or ``None`` for a missing or malformed time."""
    if not text or len(text) > 64:
        return None
    try:
        value = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def require(text: str) -> datetime:
    """The render's own clock (``--now``): the caller validated it, so a bad one is a bug."""
    value = parse(text)
    if value is None:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    return value


def render(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plus(value: datetime, seconds: float) -> datetime | None:
    """``value + seconds``, or ``None`` beyond the calendar (a hostile tolerationSeconds)."""
    try:
        return value + timedelta(seconds=seconds)
    except OverflowError:
        return None


def short(value: datetime, now: datetime) -> str:
    """``10:02:11Z`` on the render's day, the full time otherwise."""
    if value.date() == now.date():
        return value.strftime("%H:%M:%SZ")
    return render(value)
