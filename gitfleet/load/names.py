"""The name rules the API server enforces where an object is created, applied where a
document loads.

A name, namespace, API group or kind becomes a folder or file name on the status
branch and in ``render --output-dir``, a line of the YAML stream and a word of every
message. The fleet repo is untrusted input, so these are checked as strictly as the
API server would check them (``ValidateObjectMeta`` and each kind's ``NameFn``), and
a value it would refuse never gets further than the loader. Each check returns the
reasons a value is invalid (empty when it is valid), worded like Kubernetes' own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from gitfleet.load.syntax import dns1123_label, dns1123_subdomain

NameRule = Callable[[str], list[str]]

RBAC_GROUP = "rbac.authorization.k8s.io"
MAX_NAME = 253
MAX_LABEL = 63
CRONJOB_NAME_MAX = 52  # the API server leaves room for the 11-character Job suffix
SHOWN_MAX = 80  # characters of a refused value quoted in a message

_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?\Z")
_KIND = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def shown(value: str) -> str:
    """``value`` quoted for a message: escaped (a newline cannot start a line of its
    own) and cut short (a megabyte-long name does not fill the terminal)."""
    text = repr(value[:SHOWN_MAX])
    return text + f" (and {len(value) - SHOWN_MAX} more characters)" if len(value) > SHOWN_MAX else text


def dns1035_label(value: str) -> list[str]:
    errs = []
    if len(value) > MAX_LABEL:
        errs.append(f"must be no more than {MAX_LABEL} characters")
    if not _DNS1035_LABEL.match(value):
        errs.append(
            "must consist of lower case alphanumeric characters or '-', start with an alphabetic "
            "character, and end with an alphanumeric character (a DNS-1035 label)"
        )
    return errs


def path_segment(value: str) -> list[str]:
    """RBAC names (``system:aggregate-to-admin``): ``IsValidPathSegmentName``, plus what
    gitfleet needs of any name that becomes a file name: no control character and at
    most 253 characters."""
    errs = []
    if value in (".", ".."):
        errs.append(f"may not be {value!r}")
    for bad in ("/", "%"):
        if bad in value:
            errs.append(f"may not contain {bad!r}")
    if _CONTROL.search(value):
        errs.append("may not contain control characters (newline, tab, NUL...)")
    if len(value) > MAX_NAME:
        errs.append(f"must be no more than {MAX_NAME} characters")
    return errs


def _cronjob_name(value: str) -> list[str]:
    errs = dns1123_subdomain(value)
    if len(value) > CRONJOB_NAME_MAX:
        errs.append(f"must be no more than {CRONJOB_NAME_MAX} characters")
    return errs


# (group, kind) -> the API server's rule for metadata.name; DNS-1123 subdomain otherwise
# (every other built-in kind, and custom resources).
NAME_RULES: Mapping[tuple[str, str], NameRule] = {
    ("", "Namespace"): dns1123_label,
    ("", "Service"): dns1035_label,
    ("batch", "CronJob"): _cronjob_name,
    **{(RBAC_GROUP, k): path_segment for k in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")},
}


def name_errors(group: str, kind: str, name: str) -> list[str]:
    """Why ``name`` is not a valid ``metadata.name`` for ``kind`` of ``group``."""
    if not name:
        return ["must not be empty"]
    return NAME_RULES.get((group, kind), dns1123_subdomain)(name)


def namespace_errors(namespace: str) -> list[str]:
    """``metadata.namespace`` is the name of a Namespace: a DNS-1123 label."""
    return dns1123_label(namespace) if namespace else ["must not be empty"]


def api_version_errors(api_version: str) -> list[str]:
    """``[group/]version``: the group a DNS-1123 subdomain, the version a DNS-1035
    label (what the API server accepts for a CRD's version; ``v1``, ``v2beta1``...)."""
    group, slash, version = api_version.rpartition("/")
    errs = []
    if slash and not group:
        errs.append("the API group before '/' must not be empty (the core group is written `v1`)")
    elif group:
        errs += [f"API group {e}" for e in dns1123_subdomain(group)]
    if not version:
        errs.append("the version after the API group must not be empty")
    else:
        errs += [f"version {e}" for e in dns1035_label(version)]
    return errs


def kind_errors(kind: str) -> list[str]:
    errs = []
    if len(kind) > MAX_LABEL:
        errs.append(f"must be no more than {MAX_LABEL} characters")
    if not _KIND.match(kind):
        errs.append("must start with a letter and consist of letters and digits only (e.g. ConfigMap)")
    return errs
