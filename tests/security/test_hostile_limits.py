"""Hostile fleet repos against gitfleet's limits (issue 9, "Limits"): replica counts and
weights beyond what Kubernetes holds, Jinja2 templates that build gigabytes or loop
forever, YAML nested too deep, numbers Kubernetes has no room for, and files too big
to parse.

Every case runs the real CLI (``validate`` and ``render``) in its own process, with a
timeout, and checks what a user sees: exit 1, a ``path:line:col`` message naming the
file and saying what is wrong, no traceback, in bounded time and memory (the child's
address space is capped, so a multi-gigabyte allocation fails the test rather than
the machine).
"""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.security.hostile import assert_rejected, run_cli, write_repo

CLUSTER = ("apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {{name: {0}}}\n"
           "spec: {{syncMode: Push, provider: aws, region: {1}}}\n")
BASE = {
    "fleet.yaml": "apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: f}\nspec:\n  values: {count: 3}\n",
    "clusters/member1.yaml": CLUSTER.format("member1", "eu-west-1"),
    "clusters/member2.yaml": CLUSTER.format("member2", "us-east-1"),
    "policies/pp.yaml": """apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web, namespace: shop}
spec:
  resourceSelectors:
    - {apiVersion: apps/v1, kind: Deployment, name: web}
    - {apiVersion: v1, kind: ConfigMap}
  placement:
    clusterAffinity: {clusterNames: [member1, member2]}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticWeightList:
          - {targetCluster: {clusterNames: [member1]}, weight: 2}
          - {targetCluster: {clusterNames: [member2]}, weight: 1}
""",
}


def deployment(replicas: str) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: shop}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers: [{{name: web, image: "nginx:1.25"}}]
"""


def j2(body: str) -> str:
    """A ConfigMap template whose second data value is ``body`` (line 5 of the file)."""
    return ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb, namespace: shop}\ndata:\n"
            f"  v: \"{body}\"\n")


def cm(value: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cfg, namespace: shop}}\ndata:\n  v: {value}\n"


def nested(depth: int) -> str:
    return cm("[" * depth + "]" * depth)


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, str | bytes]  # added to BASE
    located: str  # the file the path:line:col message names
    message: str  # ... and what it says
    line: int | None = None  # the line it points at, where the input has one place


CASES = [
    # -- replicas and weights ---------------------------------------------------------
    Case("replicas-beyond-int32", {"templates/web.yaml": deployment("2147483648")}, "templates/web.yaml",
         "must be an integer from 0 to 2147483647", 5),
    Case("replicas-negative", {"templates/web.yaml": deployment("-1")}, "templates/web.yaml",
         "must be an integer from 0 to 2147483647", 5),
    Case("replicas-beyond-int64", {"templates/web.yaml": deployment("9" * 30)}, "templates/web.yaml",
         "does not fit in 64 bits", 5),
    Case("weight-beyond-int32", {"templates/web.yaml": deployment("3"), "policies/pp.yaml":
                                 BASE["policies/pp.yaml"].replace("weight: 2}", "weight: 4294967296}")},
         "policies/pp.yaml", "4294967296", 15),
    # -- Jinja2 -----------------------------------------------------------------------
    *(Case(f"jinja-{name}", {"templates/bomb.yaml.j2": j2(body)}, "templates/bomb.yaml.j2", words, 5)
      for name, body, words in [
          ("center", "{{ 'x' | center(1000000000) }}", "center filter would be 1,000,000,001 characters"),
          ("center-method", "{{ 'x'.center(1000000000) }}", "str.center"),
          ("ljust", "{{ 'x'.ljust(10 ** 9) }}", "str.ljust"),
          ("indent", "{{ ('x' * 1000) | indent(1000000000) }}", "indent filter"),
          ("format-padding", "{{ '%1000000000s' | format(1) }}", "the result of %"),
          ("percent-star", "{{ '%*s' % (1000000000, 1) }}", "field width of 1,000,000,000"),
          ("str-format", "{{ '{:>1000000000}'.format(1) }}", "the result of format"),
          ("join", "{{ (['x' * 1000000] * 1000) | join }}", "join filter"),
          ("repeat", "{{ 'x' * 1000000000 }}", "the result of *"),
          ("list-repeat", "{{ ([1] * 1000000000) | length }}", "1,000,000,000 items"),
          ("range", "{{ range(1000000000) | list | length }}", "MAX_RANGE"),
          ("power", "{{ (10 ** 1000) ** 1000 }}", "the result of **"),
          ("nested-loops", "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
           "rendering took longer than"),
          ("doubling", ("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
                       "{% endfor %}{{ ns.s | length }}"), "a template may build at most 1 MiB"),
          # Big pieces: the size limit is reached in ~100 steps, long before the time limit,
          # even on a loaded machine.
          ("set-block", "{% set s %}{% for a in range(100000) %}{% for b in range(100) %}" + "y" * 10_000 +
                        "{% endfor %}{% endfor %}{% endset %}{{ s | length }}", "at most 1 MiB"),
          ("recursion", "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "recursion is too deep"),
      ]),
    # -- YAML -------------------------------------------------------------------------
    Case("nesting-350", {"templates/deep.yaml": nested(350)}, "templates/deep.yaml", "more than 100 levels", 5),
    Case("nesting-100000", {"templates/deep.yaml": nested(100_000)}, "templates/deep.yaml",
         "more than 100 levels", 5),
    Case("nesting-block", {"templates/deep.yaml": cm("") + "".join(f"{'  ' * (i + 2)}k{i}:\n" for i in range(300))},
         "templates/deep.yaml", "more than 100 levels"),
    Case("nesting-by-aliases", {"templates/deep.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n"
                                "x0: &a0 " + "[" * 90 + "1" + "]" * 90 + "\n" + "".join(
                                    f"x{i}: &a{i} " + "[" * 90 + f"*a{i - 1}" + "]" * 90 + "\n" for i in range(1, 5))},
         "templates/deep.yaml", "nest this document more than 100 levels"),
    Case("integer-4300-digits", {"templates/big.yaml": cm("9" * 4300)}, "templates/big.yaml",
         "does not fit in 64 bits", 5),
    Case("integer-in-a-cluster", {"clusters/member1.yaml": CLUSTER.format("member1", "eu-west-1") +
                                  "metadata2: " + "1" * 5000 + "\n"}, "clusters/member1.yaml",
         "does not fit in 64 bits", 5),
    Case("float-1e400", {"templates/f.yaml": cm("1e400")}, "templates/f.yaml", "is not a finite number", 5),
    Case("float-nan", {"templates/f.yaml": cm(".nan")}, "templates/f.yaml", "is not a finite number", 5),
    Case("float-inf", {"templates/f.yaml": cm("-.inf")}, "templates/f.yaml", "is not a finite number", 5),
    Case("float-in-a-template", {"templates/f.yaml.j2": j2("ok") + "  w: {{ '.na' ~ 'n' }}\n"},
         "templates/f.yaml.j2", "is not a finite number"),
    Case("file-over-8-mib", {"templates/big.yaml": cm("x" * (9 * 1024 * 1024))}, "templates/big.yaml",
         "larger than 8 MiB", 1),
    Case("flow-list-50-mb", {"templates/list.yaml": cm("[" + "1," * (25 * 1024 * 1024) + "1]")},
         "templates/list.yaml", "larger than 8 MiB", 1),
    Case("template-over-1-mib", {"templates/big.yaml.j2": j2("x" * (2 * 1024 * 1024))}, "templates/big.yaml.j2",
         "larger than 1024 KiB", 1),
]
# A render may take MAX_SECONDS (3 s) before it is stopped; a fresh interpreter on a
# busy machine needs a few more.
TIME_LIMIT_S = 30.0
MEMORY_LIMIT = 2 * 1024**3


def _run_bounded(argv: list[str], cwd: Path) -> tuple[int, str, str, float]:
    """``gitfleet *argv`` with its address space capped at ``MEMORY_LIMIT``."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "gitfleet", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=TIME_LIMIT_S * 2, preexec_fn=cap, check=False, errors="replace")
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start


@pytest.mark.parametrize("verb", ["validate", "render"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_hostile_limit(tmp_path: Path, case: Case, verb: str) -> None:
    files = {"templates/web.yaml": deployment("3"), **case.files}
    write_repo(tmp_path / "repo", {**BASE, **files})
    code, out, err, seconds = _run_bounded([verb, "repo", *(["-o", "json"] if verb == "render" else [])], tmp_path)
    assert_rejected(code, out, err, case.located)
    assert case.message in out + err, (out + err)[-3000:]
    if case.line is not None:
        assert f"{case.located}:{case.line}:" in out + err, (out + err)[-3000:]
    assert seconds < TIME_LIMIT_S
    assert not re.search(r"[:\[,]\s*-?(Infinity|NaN)\b", out), out[:2000]  # never as a JSON value


@pytest.mark.parametrize("replicas", [2147483647, 100_000_000])
def test_int32_replicas_divide_at_once(tmp_path: Path, replicas: int) -> None:
    write_repo(tmp_path / "repo", {**BASE, "templates/web.yaml": deployment(str(replicas))})
    start = time.monotonic()
    code, out, err = run_cli(["render", "repo", "-o", "json"], cwd=tmp_path)
    assert code == 0, err[-3000:]
    assert time.monotonic() - start < TIME_LIMIT_S
    placement = next(p for p in json.loads(out)["placements"] if p["resource"] == "apps/v1/Deployment/shop/web")
    dealt = {c["name"]: c["replicas"] for c in placement["clusters"]}
    # Webster over weights 2:1: two thirds and one third, every replica dealt.
    assert sum(dealt.values()) == replicas and abs(3 * dealt["member1"] - 2 * replicas) <= 3, dealt


def test_bounds_leave_ordinary_templates_alone(tmp_path: Path) -> None:
    body = ("{% for i in range(values.count) %}{{ ('%-5s' % i) ~ cluster.name | center(12) }}{% endfor %}"
            "{{ fleet.clusters | join(',') }}{{ '{:>4}'.format(7) }}{{ 2 ** 10 }}")
    write_repo(tmp_path / "repo", {**BASE, "templates/web.yaml": deployment("3"), "templates/ok.yaml.j2": j2(body)})
    code, out, err = run_cli(["render", "repo", "-o", "json"], cwd=tmp_path)
    assert code == 0, err[-3000:]
    assert "member1,member2" in out and "   7" in out and "1024" in out
