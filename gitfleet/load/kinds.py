"""Telling a misspelled Karmada or gitfleet kind from a resource template.

A document is classified by ``apiVersion``/``kind``: a ``PropogationPolicy`` or a
``kind: cluster`` would otherwise become a resource template (or be ignored as a
control-plane kind), and the policy or cluster the author meant would silently be
missing from every placement. The same goes for a misspelled group
(``policy.karmada.oi``). So within Karmada's API groups only the kinds Karmada
installs are accepted, and a group that is one typo away from Karmada's or gitfleet's
is refused; both with a "did you mean" found by :mod:`difflib`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from functools import cache

from gitfleet.load.yamlio import JsonPath
from gitfleet.model.scope import KARMADA_SCOPES

GITFLEET_GROUP = "gitfleet.io"
GITFLEET_KINDS = ("Fleet",)
# The kinds gitfleet acts upon, with their one supported apiVersion.
ACTED_UPON = {
    "Cluster": "cluster.karmada.io/v1alpha1",
    "PropagationPolicy": "policy.karmada.io/v1alpha1",
    "ClusterPropagationPolicy": "policy.karmada.io/v1alpha1",
    "OverridePolicy": "policy.karmada.io/v1alpha1",
    "ClusterOverridePolicy": "policy.karmada.io/v1alpha1",
    "Fleet": "gitfleet.io/v1alpha1",
}
# Group names this close to a known one (difflib ratio) are taken for a typo of it:
# one swapped or changed letter scores above 0.9, while real neighbours such as
# networking.k8s.io, policy.kyverno.io or cluster.x-k8s.io score below 0.8.
_GROUP_CUTOFF = 0.85
_KIND_CUTOFF = 0.6


@cache
def _kinds_by_group() -> Mapping[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for group, kind in KARMADA_SCOPES:
        if is_karmada_group(group):
            out.setdefault(group, []).append(kind)
    out[GITFLEET_GROUP] = list(GITFLEET_KINDS)
    return {g: tuple(sorted(k)) for g, k in out.items()}


def is_karmada_group(group: str) -> bool:
    return group == "karmada.io" or group.endswith(".karmada.io")


def _shared_letters_ratio(a: str, b: str) -> float:
    """An upper bound of difflib's ratio (its ``quick_ratio``): letters in common,
    whatever their order."""
    return 2 * sum((Counter(a) & Counter(b)).values()) / ((len(a) + len(b)) or 1)


def _closest(word: str, choices: Collection[str], cutoff: float) -> str | None:
    folded = [c for c in choices if c.lower() == word.lower()]
    if folded:
        return folded[0]
    # Every template's group is compared: difflib is imported (and run) only for the
    # few words that could pass, which keeps it out of ordinary runs.
    options = [c for c in choices if _shared_letters_ratio(word, c) >= cutoff]
    if not options:
        return None
    import difflib

    found = difflib.get_close_matches(word, options, n=1, cutoff=cutoff)
    return found[0] if found else None


def misspelling(group: str, kind: str) -> tuple[JsonPath, str] | None:
    """``(where, message)`` when ``group``/``kind`` looks like a mistyped Karmada or
    gitfleet kind, None when it is one of theirs or plainly something else."""
    known = _kinds_by_group()
    kinds = known.get(group)
    if kinds is not None:
        if kind in kinds:
            return None
        guess = _closest(kind, kinds, _KIND_CUTOFF)
        elsewhere = [g for g, ks in known.items() if kind in ks]
        if guess is not None:
            hint = f"did you mean {guess}?"
        elif elsewhere:
            hint = f"{kind} is in {elsewhere[0]}: did you mean apiVersion {ACTED_UPON.get(kind, elsewhere[0] + '/...')}?"
        else:
            hint = f"its kinds are {', '.join(kinds)}"
        return ("kind",), f"unknown kind {kind!r} in API group {group}: {hint}"
    guess = _closest(group, known, _GROUP_CUTOFF)
    if guess is not None:
        return ("apiVersion",), f"unknown API group {group!r}: did you mean {guess}?"
    if is_karmada_group(group):
        return ("apiVersion",), (f"unknown Karmada API group {group!r}: Karmada's groups are "
                                 f"{', '.join(sorted(g for g in known if is_karmada_group(g)))}")
    if group == "" and kind in ACTED_UPON:
        return ("apiVersion",), f"{kind} has no API group here: did you mean apiVersion {ACTED_UPON[kind]}?"
    return None
