"""Kubernetes' string syntax rules (``k8s.io/apimachinery/pkg/util/validation``):
DNS labels, label keys and values, JSON pointers. Each check returns the reasons a
value is invalid, empty when it is valid, worded like Kubernetes' own messages."""

from __future__ import annotations

import re

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")


def dns1123_label(value: str, max_length: int = 63) -> list[str]:
    errs = []
    if len(value) > max_length:
        errs.append(f"must be no more than {max_length} characters")
    if not _DNS1123_LABEL.match(value):
        errs.append(
            "must consist of lower case alphanumeric characters or '-', and must start and end "
            "with an alphanumeric character (a DNS-1123 label)"
        )
    return errs


def dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append("must be no more than 253 characters")
    if not _DNS1123_SUBDOMAIN.match(value):
        errs.append(
            "must consist of lower case alphanumeric characters, '-' or '.', and must start and "
            "end with an alphanumeric character (a DNS-1123 subdomain)"
        )
    return errs


def qualified_name(value: str) -> list[str]:
    """A label or annotation key: ``[prefix/]name``."""
    prefix, slash, name = value.rpartition("/")
    if slash and not prefix:
        return ["prefix part must be non-empty"]
    if value.count("/") > 1:
        return [("a qualified name must consist of an optional DNS subdomain prefix and a name, "
                 "separated by one '/'")]
    errs = []
    if prefix:
        errs += [f"prefix part {e}" for e in dns1123_subdomain(prefix)]
    if not name:
        errs.append("name part must be non-empty")
    else:
        if len(name) > 63:
            errs.append("name part must be no more than 63 characters")
        if not _QUALIFIED_NAME.match(name):
            errs.append(
                "name part must consist of alphanumeric characters, '-', '_' or '.', and must "
                "start and end with an alphanumeric character"
            )
    return errs


def label_value(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _LABEL_VALUE.match(value):
        errs.append(
            "a valid label value must be an empty string or consist of alphanumeric characters, "
            "'-', '_' or '.', and must start and end with an alphanumeric character"
        )
    return errs


def json_pointer(value: str) -> list[str]:
    """RFC 6901: empty, or ``/``-separated tokens where ``~`` is only ``~0`` or ``~1``."""
    if value == "":
        return []
    if not value.startswith("/"):
        return [(f"{value!r} is not a JSON pointer: it must be empty or start with '/' "
                 "(e.g. /spec/replicas)")]
    if re.search(r"~(?![01])", value):
        return [f"{value!r} is not a JSON pointer: '~' must be escaped as ~0 ('/' as ~1)"]
    return []
