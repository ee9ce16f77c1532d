"""The API server's name rules (gitfleet.load.names), one value per row: valid names
of each rule pass, and each way of breaking a rule is refused with its reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitfleet.load.names import api_version_errors, kind_errors, name_errors, namespace_errors, shown

RBAC = "rbac.authorization.k8s.io"


@pytest.mark.parametrize(
    ("group", "kind", "name", "reason"),
    [
        ("", "ConfigMap", "web-config.v2", None),
        ("", "ConfigMap", "a" * 253, None),
        ("apps", "Deployment", "web", None),
        ("x.example.com", "Widget", "w.1", None),  # custom resources: a DNS-1123 subdomain
        ("", "Namespace", "shop", None),
        ("", "Service", "web", None),
        (RBAC, "ClusterRole", "system:aggregate-to-admin", None),
        (RBAC, "RoleBinding", "Weird_Name@x", None),
        ("batch", "CronJob", "c" * 52, None),
        ("", "ConfigMap", "", "must not be empty"),
        ("", "ConfigMap", "a" * 254, "no more than 253"),
        ("", "ConfigMap", "x/../../PWNED", "DNS-1123 subdomain"),
        ("", "ConfigMap", "..", "DNS-1123 subdomain"),
        ("", "ConfigMap", "a\nb", "DNS-1123 subdomain"),
        ("", "ConfigMap", "a\x00b", "DNS-1123 subdomain"),
        ("", "ConfigMap", "Web", "DNS-1123 subdomain"),
        ("", "Namespace", "a.b", "DNS-1123 label"),
        ("", "Namespace", "n" * 64, "no more than 63"),
        ("", "Service", "1web", "DNS-1035 label"),
        ("batch", "CronJob", "c" * 53, "no more than 52"),
        (RBAC, "ClusterRole", "a/b", "may not contain '/'"),
        (RBAC, "ClusterRole", "..", "may not be '..'"),
        (RBAC, "Role", "a%2fb", "may not contain '%'"),
        (RBAC, "Role", "a\nb", "control characters"),
        (RBAC, "Role", "r" * 254, "no more than 253"),
    ],
)
def test_name_rules(group: str, kind: str, name: str, reason: str | None) -> None:
    errors = name_errors(group, kind, name)
    if reason is None:
        assert errors == []
    else:
        assert any(reason in e for e in errors), errors


@pytest.mark.parametrize(
    ("namespace", "reason"),
    [("shop", None), ("a-1", None), ("", "must not be empty"), ("../x", "DNS-1123 label"),
     ("a.b", "DNS-1123 label"), ("n" * 64, "no more than 63"), ("a\n", "DNS-1123 label")],
)
def test_namespace_rule(namespace: str, reason: str | None) -> None:
    errors = namespace_errors(namespace)
    assert errors == [] if reason is None else any(reason in e for e in errors), errors


@pytest.mark.parametrize(
    ("api_version", "reason"),
    [
        ("v1", None), ("apps/v1", None), ("policy.karmada.io/v1alpha1", None), ("x.example.com/v2beta3", None),
        ("", "must not be empty"), ("/v1", "API group before '/' must not be empty"),
        ("../../x/v1", "API group"), ("x/../v1", "API group"), ("a/b/v1", "API group"),
        ("Apps/v1", "API group"), ("apps/", "version after the API group must not be empty"),
        ("apps/V1", "version"), ("apps/1", "version"), ("apps/v1/..", "API group"), ("v1\n", "version"),
    ],
)
def test_api_version_rule(api_version: str, reason: str | None) -> None:
    errors = api_version_errors(api_version)
    assert errors == [] if reason is None else any(reason in e for e in errors), errors


@pytest.mark.parametrize(
    ("kind", "ok"),
    [("ConfigMap", True), ("Widget2", True), ("x", True), ("", False), ("2Widget", False), ("Con/fig", False),
     ("../Kind", False), ("Config Map", False), ("K" * 64, False)],
)
def test_kind_rule(kind: str, ok: bool) -> None:
    assert (kind_errors(kind) == []) is ok


@given(st.text())
def test_a_valid_name_is_always_one_plain_file_name(name: str) -> None:
    """Whatever the text, a name the default rule accepts can never be a path."""
    if not name_errors("", "ConfigMap", name):
        assert name not in (".", "..") and not set(name) & set("/\\\x00\n\r\t") and 0 < len(name) <= 253


@given(st.text(min_size=0, max_size=500))
def test_shown_is_one_short_line(value: str) -> None:
    text = shown(value)
    assert "\n" not in text and "\r" not in text and len(text) < 4 * 80 + 60
