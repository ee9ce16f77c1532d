"""Apply results are redacted where the application layer creates them: the API server
may quote a value it refused, and a Secret's value must not reach any report."""

from __future__ import annotations

import pytest

from gitfleet.apply.result import ClusterResult, FleetResult, ObjectResult
from gitfleet.redaction import Redactor

SECRET = "Sup3r-S3cret-value"


@pytest.mark.parametrize(
    ("message", "error"),
    [
        (f'Secret "db" is invalid: data[password]: Invalid value: "{SECRET}"', None),
        ("", f"cluster unreachable while sending {SECRET}"),
        (f"conflict on {SECRET!r}", f"mass prune refused ({SECRET})"),
    ],
)
def test_messages_and_errors_are_redacted(message: str, error: str | None) -> None:
    result = FleetResult({"m1": ClusterResult("m1", [ObjectResult("v1/Secret/shop/db", "failed", message)],
                                              error=error)})
    shown = result.redacted(Redactor([SECRET]).text)
    text = repr(shown.to_json())
    assert SECRET not in text
    assert SECRET in repr(result.to_json()) or not (message or error)
    assert shown.clusters["m1"].objects[0].action == "failed"
