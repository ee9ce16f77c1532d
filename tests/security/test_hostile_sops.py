"""Hostile SOPS files through the CLI (``validate`` offline and with the key, and
``secrets decrypt``): exit 1 with ``path:line:col``, no traceback, and never the clear
value in any output."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest

from gitfleet.sops.encrypt import encrypt_text
from tests.security.hostile import assert_no_traceback, assert_rejected, run_cli, write_repo
from tests.sops.sopsdata import AGE_IDENTITY, AGE_RECIPIENT, OTHER_IDENTITY

CLEAR = "Sup3r-s3cret-pw"
TOKEN = base64.b64encode(b"t0ken-in-clear-42").decode()
SECRET = f"""apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
type: Opaque
stringData:
  password: "{CLEAR}"
data:
  token: {TOKEN}
"""
FILES = {
    "clusters/m1.yaml": "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: m1}\n",
    "policies/db.yaml": """apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: db, namespace: shop}
spec:
  resourceSelectors: [{apiVersion: v1, kind: Secret, name: db}]
  placement: {clusterAffinity: {clusterNames: [m1]}}
""",
}
ENCRYPTED = encrypt_text(SECRET, [AGE_RECIPIENT], rule="encrypted_regex", pattern="^(data|stringData)$")
PATH = "templates/db.yaml"


def _swap_values(text: str) -> str:
    lines = text.splitlines()
    i = next(n for n, line in enumerate(lines) if "password: " in line)
    j = next(n for n, line in enumerate(lines) if "token: " in line)
    a, b = lines[i].split(": ", 1)[1].strip('"'), lines[j].split(": ", 1)[1].strip('"')
    lines[i], lines[j] = lines[i].replace(a, b), lines[j].replace(b, a)
    return "\n".join(lines) + "\n"


def _meta(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text
        return text.replace(old, new, 1)
    return edit


_ENC_PASSWORD = ENCRYPTED.split("password: ")[1].split("\n")[0].strip('"')
_HUGE = "ENC[AES256_GCM,data:" + "A" * (1_500_000) + ",iv:" + "A" * 44 + ",tag:" + "A" * 22 + "==,type:str]"

# (name, edit of the encrypted file, needs the key to be caught)
CASES: list[tuple[str, Callable[[str], str], bool]] = [
    ("no-age", _meta(f"  - recipient: {AGE_RECIPIENT}", "  - bogus: 1"), False),
    ("age-empty", lambda t: t.split("sops:\n")[0] + "sops:\n  age: []\n  lastmodified: '2024-01-01T00:00:00Z'\n"
     "  mac: x\n", False),
    ("pgp-only", lambda t: t.split("sops:\n")[0] + "sops:\n  pgp: [{fp: ABC, enc: x}]\n"
     "  lastmodified: '2024-01-01T00:00:00Z'\n  mac: x\n", False),
    ("mac-missing", lambda t: "\n".join(x for x in t.splitlines() if not x.startswith("  mac:")) + "\n", False),
    ("mac-not-enc", lambda t: "\n".join("  mac: 0123" if x.startswith("  mac:") else x
                                         for x in t.splitlines()) + "\n", False),
    ("lastmodified-bogus", lambda t: "\n".join("  lastmodified: yesterday" if x.startswith("  lastmodified:")
                                                else x for x in t.splitlines()) + "\n", False),
    ("key-groups", _meta("  lastmodified:", "  key_groups: [{age: []}]\n  lastmodified:"), False),
    ("two-rules", _meta("  lastmodified:", "  unencrypted_suffix: _u\n  lastmodified:"), False),
    ("comment-rule", _meta("  lastmodified:", "  encrypted_comment_regex: x\n  lastmodified:"), False),
    ("bad-regex", _meta("  encrypted_regex: ^(data|stringData)$", "  encrypted_regex: '(?<=x)['"), False),
    ("regex-not-string", _meta("  encrypted_regex: ^(data|stringData)$", "  encrypted_regex: [1, 2]"), False),
    ("wrong-type", lambda t: t.replace("type:str]", "type:pickle]", 1), False),
    ("bad-base64", lambda t: t.replace(",iv:", ",iv:%%", 1), False),
    ("short-tag", lambda t: t.replace(_ENC_PASSWORD, _ENC_PASSWORD.split(",tag:")[0] + ",tag:AAAA,type:str]"),
     False),
    ("huge-value", lambda t: t.replace(_ENC_PASSWORD, _HUGE), False),
    ("enc-name", lambda t: t.replace("  name: db", f"  name: {_ENC_PASSWORD}"), False),
    ("cluster-in-sops", lambda t: "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\n"
     "metadata: {name: m2}\n" + t[t.index("sops:"):].replace("sops:", "sops:", 1), False),
    ("swapped-values", _swap_values, True),
    ("changed-clear-field", _meta("type: Opaque", "type: kubernetes.io/basic-auth"), True),
    ("changed-mac", lambda t: t.replace("mac: ENC[AES256_GCM,data:", "mac: ENC[AES256_GCM,data:AA", 1), True),
    ("garbage-age-enc", lambda t: t.replace("-----BEGIN AGE ENCRYPTED FILE-----\n",
                                            "-----BEGIN AGE ENCRYPTED FILE-----\n      AAAA\n", 1), True),
]


def _assert_clean(out: str, err: str) -> None:
    assert_no_traceback(out, err)
    for clear in (CLEAR, TOKEN, "t0ken-in-clear-42"):
        assert clear not in out and clear not in err


@pytest.mark.parametrize(("name", "edit", "keyed"), CASES, ids=[c[0] for c in CASES])
def test_hostile_sops_file_is_refused(tmp_path: Path, name: str, edit: Callable[[str], str], keyed: bool) -> None:
    key = tmp_path / "age.key"
    key.write_text(f"# test key\n{AGE_IDENTITY}\n")
    repo = write_repo(tmp_path / "fleet", {**FILES, PATH: edit(ENCRYPTED)})
    code, out, err = run_cli(["validate", str(repo), "--age-key-file", str(key)] if keyed else
                             ["validate", str(repo)], env={"SOPS_AGE_KEY_FILE": "", "SOPS_AGE_KEY": ""})
    assert_rejected(code, out, err, PATH)
    _assert_clean(out, err)
    code, out, err = run_cli(["secrets", "decrypt", str(repo / PATH), "--age-key-file", str(key)])
    _assert_clean(out, err)
    if keyed or code != 0:  # a file that fails to decrypt fails the same way here
        assert_rejected(code, out, err, PATH)


def test_wrong_key_and_no_key(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "fleet", {**FILES, PATH: ENCRYPTED})
    other = tmp_path / "other.key"
    other.write_text(OTHER_IDENTITY + "\n")
    for argv in (["validate", str(repo), "--age-key-file", str(other)],
                 ["secrets", "decrypt", str(repo / PATH), "--age-key-file", str(other)]):
        code, out, err = run_cli(argv)
        assert_rejected(code, out, err, PATH)
        _assert_clean(out, err)
        assert "none of the age keys" in out + err
    code, out, err = run_cli(["secrets", "decrypt", str(repo / PATH)],
                             env={"SOPS_AGE_KEY_FILE": "", "SOPS_AGE_KEY": "", "HOME": str(tmp_path)})
    assert_rejected(code, out, err, PATH)
    assert "no age key" in err


def test_bad_key_file_is_named_not_shown(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "fleet", {**FILES, PATH: ENCRYPTED})
    key = tmp_path / "bad.key"
    key.write_text("AGE-SECRET-KEY-1NOTAKEY-but-secretish\n")
    code, out, err = run_cli(["secrets", "decrypt", str(repo / PATH), "--age-key-file", str(key)])
    assert code == 1 and "line 1 is not an age secret key" in err and "secretish" not in err
    assert_no_traceback(out, err)
