"""A SOPS file in a fleet repo: loaded without the key (ENC strings in the plan, identity
in clear, digests of the ciphertext on the status branch), decrypted only for apply."""

from __future__ import annotations

from typing import Any

import pytest

from gitfleet.errors import InputError
from gitfleet.load.loader import load_fleet, validate_files
from gitfleet.load.sops_files import decrypted_problems
from gitfleet.plan.build import build_plan
from gitfleet.sops.apply import Decryptor
from gitfleet.sops.encrypt import encrypt_text
from gitfleet.sops.format import SopsError
from gitfleet.status.secrets import mask_plan
from tests.sops.sopsdata import AGE_RECIPIENT, OTHER_IDENTITY, identity

CLUSTERS = {
    "clusters/m1.yaml": "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: m1}\n",
}
POLICY = """apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: db, namespace: shop}
spec:
  resourceSelectors: [{apiVersion: v1, kind: Secret, name: db}]
  placement: {clusterAffinity: {clusterNames: [m1]}}
"""
SECRET = """apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
type: Opaque
stringData:
  password: "Sup3r-s3cret-pw"
data:
  token: dG9rZW4tdmFsdWU=
"""


def _files(secret: str, **more: str) -> dict[str, bytes]:
    files = {**CLUSTERS, "policies/db.yaml": POLICY, "templates/db.yaml": secret, **more}
    return {k: v.encode() for k, v in files.items()}


def _encrypted(text: str = SECRET, pattern: str = "^(data|stringData)$") -> str:
    return encrypt_text(text, [AGE_RECIPIENT], rule="encrypted_regex", pattern=pattern)


def test_offline_load_keeps_enc_strings_and_remembers_the_file() -> None:
    text = _encrypted()
    fleet = load_fleet(_files(text))
    (template,) = fleet.templates
    assert template.sops is not None and template.sops.path == "templates/db.yaml"
    assert "sops" not in template.obj
    assert template.obj["stringData"]["password"].startswith("ENC[AES256_GCM,")
    assert template.key == "v1/Secret/shop/db"


def test_status_digest_is_of_the_ciphertext_and_changes_with_it() -> None:
    first, second = _encrypted(), _encrypted()  # fresh data key and IVs: new ciphertext
    masked = [mask_plan(build_plan(load_fleet(_files(t)))).manifests["m1"]["v1/Secret/shop/db"] for t in
              (first, first, second)]
    assert masked[0] == masked[1]
    assert masked[0]["stringData"] != masked[2]["stringData"]
    assert all(v.startswith("sha256:") for v in masked[0]["stringData"].values())


@pytest.mark.parametrize(("pattern", "field"), [
    ("^(data|stringData|name)$", "metadata.name"),
    ("^(data|stringData|namespace)$", "metadata.namespace"),
    ("^(data|stringData|apiVersion)$", "apiVersion"),
    ("^(data|stringData|app)$", "metadata.labels"),
])
def test_encrypted_identity_is_an_error_with_the_hint(pattern: str, field: str) -> None:
    secret = SECRET.replace("  namespace: shop\n", "  namespace: shop\n  labels: {app: web}\n")
    text = _encrypted(secret, pattern)
    problems = validate_files(_files(text))
    errors = [p for p in problems if p.severity == "error"]
    key = field.split(".")[-1] + ":"
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.strip().startswith(key))
    assert errors and errors[0].path == "templates/db.yaml" and errors[0].line in (line, line + 1)
    assert f"{field} is encrypted" in errors[0].message and "encrypted_regex" in errors[0].message


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace("type:str]", "type:pickle]", 1), "unknown type"),
    (lambda t: t.replace(",iv:", ",iv:!", 1), "malformed encrypted value"),
    (lambda t: t.replace("  lastmodified:", "  pgp: [{fp: x}]\n  lastmodified:").replace(
        f"  - recipient: {AGE_RECIPIENT}", "  - recipient: nope"), "age public key"),
    (lambda t: t + "---\napiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\n"
     "metadata: {name: x, namespace: shop}\nspec: {resourceSelectors: [{apiVersion: v1, kind: Secret}]}\n",
     "only resource templates may be encrypted"),
    (lambda t: t.replace("  encrypted_regex:", "  unencrypted_suffix: _x\n  encrypted_regex:"), "more than one"),
    (lambda t: t.replace("  encrypted_regex: ^(data|stringData)$", "  encrypted_regex: (?=x)"), "RE2"),
])
def test_broken_sops_files_are_errors_at_the_file(edit: Any, message: str) -> None:
    problems = [p for p in validate_files(_files(edit(_encrypted()))) if p.severity == "error"]
    assert problems and all(p.path == "templates/db.yaml" for p in problems)
    assert any(message in p.message for p in problems), problems


def test_j2_sops_file_is_refused() -> None:
    files = _files(SECRET)
    files["templates/db.yaml.j2"] = _encrypted().replace("name: db", "name: db2").encode()
    with pytest.raises(InputError, match="cannot be SOPS-encrypted"):
        load_fleet(files)


def test_with_the_key_validate_checks_the_clear_content() -> None:
    bad = SECRET.replace("token: dG9rZW4tdmFsdWU=", "token: not base64!")
    files = _files(_encrypted(bad))
    assert not [p for p in validate_files(files) if p.severity == "error"]  # offline: fine
    problems = decrypted_problems(files, [identity()])
    assert [p.path for p in problems] == ["templates/db.yaml"] and "not valid base64" in problems[0].message
    assert "not base64!" not in str(problems[0])
    wrong = decrypted_problems(files, [identity(OTHER_IDENTITY)])
    assert wrong and "cannot be decrypted" in wrong[0].message


def test_decryptor_puts_clear_values_in_the_manifests_only() -> None:
    fleet = load_fleet(_files(_encrypted()))
    plan = build_plan(fleet)
    sources = {t.key: t.sops for t in fleet.templates if t.sops is not None}
    decryptor = Decryptor(sources, [identity()])
    clear = decryptor.manifests(plan.manifests["m1"])["v1/Secret/shop/db"]
    assert clear["stringData"]["password"] == "Sup3r-s3cret-pw"
    assert clear["data"]["token"] == "dG9rZW4tdmFsdWU="
    assert plan.manifests["m1"]["v1/Secret/shop/db"]["stringData"]["password"].startswith("ENC[")
    assert "Sup3r-s3cret-pw" in set(decryptor.clear_values())
    with pytest.raises(SopsError, match="templates/db.yaml: cannot decrypt"):
        Decryptor(sources, []).manifests(plan.manifests["m1"])


def test_an_enc_string_not_from_the_file_is_refused() -> None:
    fleet = load_fleet(_files(_encrypted()))
    plan = build_plan(fleet)
    sources = {t.key: t.sops for t in fleet.templates if t.sops is not None}
    manifest = dict(plan.manifests["m1"]["v1/Secret/shop/db"])
    other = _encrypted().split("password: ")[1].split("\n")[0].strip('"')
    manifest["stringData"] = {"password": other}
    with pytest.raises(SopsError, match="not one of its file's"):
        Decryptor(sources, [identity()]).manifests({"v1/Secret/shop/db": manifest})
