"""imageOverrider and the image reference parser (KARMADA-SEMANTICS §4.2, §9.9)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from ovhelpers import DIGEST, container, deployment, pod

from gitfleet.model import ImageOverrider
from gitfleet.override._doc import OverriderFailure
from gitfleet.override.image import (
    ImageParseError,
    ImageRef,
    apply_image_overriders,
    override_image,
    parse_image,
)

PARSE_CASES = [
    ("nginx", "", "nginx", "", ""),
    ("nginx:1.25", "", "nginx", "1.25", ""),
    ("library/nginx", "", "library/nginx", "", ""),
    ("library/nginx:latest", "", "library/nginx", "latest", ""),
    ("docker.io/library/nginx:1.2", "docker.io", "library/nginx", "1.2", ""),
    ("docker.io/nginx", "docker.io", "nginx", "", ""),
    ("localhost/app", "localhost", "app", "", ""),
    ("localhost:5000/app", "localhost:5000", "app", "", ""),
    ("registry:5000/ns/app:v1", "registry:5000", "ns/app", "v1", ""),
    (f"registry:5000/ns/app:v1@{DIGEST}", "registry:5000", "ns/app", "v1", ""),
    (f"app@{DIGEST}", "", "app", "", DIGEST),
    (f"quay.io/team/app@{DIGEST}", "quay.io", "team/app", "", DIGEST),
    ("10.10.10.10:10443/sub/app:v1.0.0", "10.10.10.10:10443", "sub/app", "v1.0.0", ""),
    ("[::1]:5000/app:v1", "[::1]:5000", "app", "v1", ""),
    ("Registry.Example.COM/app", "Registry.Example.COM", "app", "", ""),
    ("registry/app", "", "registry/app", "", ""),
    ("localhostx/app", "", "localhostx/app", "", ""),
    ("a/b/c/d:tag_1.x-y", "", "a/b/c/d", "tag_1.x-y", ""),
    ("my-app__x.y:V1", "", "my-app__x.y", "V1", ""),
    ("localhost:5000", "", "localhost", "5000", ""),
    ("app@sha512:" + "ab" * 64, "", "app", "", "sha512:" + "ab" * 64),
    ("app@sha384:" + "cd" * 48, "", "app", "", "sha384:" + "cd" * 48),
]


@pytest.mark.parametrize(("image", "registry", "repository", "tag", "digest"), PARSE_CASES,
                         ids=[case[0][:40] for case in PARSE_CASES])
def test_parse_image(image: str, registry: str, repository: str, tag: str, digest: str) -> None:
    assert parse_image(image) == ImageRef(registry, repository, tag, digest)


PARSE_ERRORS = [
    ("", "empty"),
    ("fictional.registry.example/Upper", "lowercase"),
    ("Nginx", "lowercase"),
    ("nginx:1.25:x", "invalid reference format"),
    ("nginx:", "invalid reference format"),
    ("-nginx", "invalid reference format"),
    ("nginx:" + "t" * 129, "invalid reference format"),
    ("app@sha256:" + "0" * 63, "64 hex characters"),
    ("app@sha256:" + "A" * 64, "lowercase hex"),
    ("app@md5:" + "0" * 32, "unsupported digest algorithm"),
    ("a" * 256, "longer than 255"),
    ("nginx\n", "invalid reference format"),
    ("nginé", "invalid reference format"),
]


@pytest.mark.parametrize(("image", "message"), PARSE_ERRORS, ids=[case[0][:30] or "empty" for case in PARSE_ERRORS])
def test_parse_image_errors(image: str, message: str) -> None:
    with pytest.raises(ImageParseError, match=message):
        parse_image(image)


def test_tag_and_digest_keeps_only_the_tag() -> None:
    assert str(parse_image(f"r.example/app:v1@{DIGEST}")) == "r.example/app:v1"


OVERRIDE_CASES = [
    ("nginx", "Registry", "add", "fictional.registry.us", "fictional.registry.us/nginx"),
    ("docker.io/nginx:1", "Registry", "add", "-mirror", "docker.io-mirror/nginx:1"),
    ("nginx:1.25", "Registry", "replace", "r.example", "r.example/nginx:1.25"),
    ("library/nginx", "Registry", "replace", "r.example", "r.example/library/nginx"),
    ("r.example:5000/ns/app:v1", "Registry", "remove", "", "ns/app:v1"),
    ("nginx", "Registry", "remove", "", "nginx"),
    ("nginx", "Registry", "replace", "Bad Registry!", "Bad Registry!/nginx"),
    ("r.example/app:v1", "Repository", "add", "-debug", "r.example/app-debug:v1"),
    ("r.example/app:v1", "Repository", "replace", "team/app", "r.example/team/app:v1"),
    ("r.example/app:v1", "Repository", "remove", "", "r.example/:v1"),
    ("app:v1", "Tag", "add", "-rc1", "app:v1-rc1"),
    ("app", "Tag", "add", "v2", "app:v2"),
    ("app:v1", "Tag", "replace", "v2", "app:v2"),
    ("app:v1", "Tag", "replace", "not valid!", "app:v1"),
    ("app:v1", "Tag", "replace", "", "app:v1"),
    ("app:v1", "Tag", "add", "x" * 127, "app:v1"),
    ("app:v1", "Tag", "replace", DIGEST, f"app@{DIGEST}"),
    (f"app@{DIGEST}", "Tag", "replace", "v3", "app:v3"),
    (f"app@{DIGEST}", "Tag", "add", "0", f"app@{DIGEST}0"),
    ("app:v1", "Tag", "remove", "", "app"),
    (f"app@{DIGEST}", "Tag", "remove", "", "app"),
    (f"registry:5000/ns/app:v1@{DIGEST}", "Tag", "remove", "", "registry:5000/ns/app"),
    (f"registry:5000/ns/app:v1@{DIGEST}", "Registry", "replace", "r.example", "r.example/ns/app:v1"),
]


@pytest.mark.parametrize(("image", "component", "operator", "value", "expected"), OVERRIDE_CASES,
                         ids=[f"{c[1]}-{c[2]}-{c[0][:25]}" for c in OVERRIDE_CASES])
def test_override_image(image: str, component: str, operator: str, value: str, expected: str) -> None:
    assert override_image(image, ImageOverrider(component, operator, value)) == expected


REGISTRY = ImageOverrider("Registry", "replace", "mirror.example")
DEFAULT_PATH_CASES = [
    ("Deployment", ("spec", "template", "spec", "containers")),
    ("ReplicaSet", ("spec", "template", "spec", "containers")),
    ("DaemonSet", ("spec", "template", "spec", "containers")),
    ("StatefulSet", ("spec", "template", "spec", "containers")),
    ("Job", ("spec", "template", "spec", "containers")),
]


@pytest.mark.parametrize(("kind", "path"), DEFAULT_PATH_CASES, ids=[c[0] for c in DEFAULT_PATH_CASES])
def test_default_paths_rewrite_every_container(kind: str, path: tuple[str, ...]) -> None:
    doc = deployment(container("a", "nginx:1"), container("b", "r.example/app"), kind=kind)
    out = apply_image_overriders(doc, (REGISTRY,))
    node: Any = out
    for key in path:
        node = node[key]
    assert [c["image"] for c in node] == ["mirror.example/nginx:1", "mirror.example/app"]
    assert doc["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1"


def test_pod_containers_are_rewritten() -> None:
    out = apply_image_overriders(pod(container("a", "nginx")), (REGISTRY,))
    assert out["spec"]["containers"][0]["image"] == "mirror.example/nginx"


def test_init_containers_are_left_alone() -> None:
    doc = deployment(container("a", "nginx"))
    doc["spec"]["template"]["spec"]["initContainers"] = [container("init", "busybox")]
    out = apply_image_overriders(doc, (REGISTRY,))
    assert out["spec"]["template"]["spec"]["initContainers"][0]["image"] == "busybox"
    assert out["spec"]["template"]["spec"]["containers"][0]["image"] == "mirror.example/nginx"


CRONJOB: dict[str, Any] = {
    "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
    "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [container("a", "nginx:1")]}}}}},
}
CRON_IMAGE = "/spec/jobTemplate/spec/template/spec/containers/0/image"


def test_other_kinds_are_untouched_without_predicate() -> None:
    assert apply_image_overriders(CRONJOB, (REGISTRY,)) is CRONJOB


def test_predicate_walks_maps_and_list_indices_on_any_kind() -> None:
    out = apply_image_overriders(CRONJOB, (ImageOverrider("Tag", "replace", "2", CRON_IMAGE),))
    assert out["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2"
    assert CRONJOB["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1"


def test_predicate_only_rewrites_its_path() -> None:
    doc = deployment(container("a", "nginx"), container("b", "redis"))
    path = "/spec/template/spec/containers/1/image"
    out = apply_image_overriders(doc, (ImageOverrider("Registry", "add", "r.example", path),))
    assert [c["image"] for c in out["spec"]["template"]["spec"]["containers"]] == ["nginx", "r.example/redis"]


PREDICATE_ERRORS = [
    ("/spec/template/spec/containers/5/image", "'5' is not an index"),
    ("/spec/template/spec/containers/x/image", "'x' is not an index"),
    ("/spec/template/spec/missing/0/image", "/spec/template/spec/missing does not exist"),
    ("/spec/template/spec/containers/0/tag", "containers/0/tag does not exist or is not a string"),
    ("/spec/replicas/image", "/spec/replicas does not exist or is not an object"),
    ("spec/template/spec/containers/0/image", "must start with '/'"),
]


@pytest.mark.parametrize(("path", "message"), PREDICATE_ERRORS, ids=[c[1][:30] for c in PREDICATE_ERRORS])
def test_predicate_path_errors(path: str, message: str) -> None:
    doc = deployment(container("a", "nginx"))
    with pytest.raises(OverriderFailure, match=message):
        apply_image_overriders(doc, (ImageOverrider("Registry", "replace", "r", path),))


def test_unparsable_image_names_image_and_container() -> None:
    doc = deployment(container("ok", "nginx"), container("web", "fictional.registry.example/Upper"))
    with pytest.raises(OverriderFailure) as info:
        apply_image_overriders(doc, (REGISTRY,))
    message = info.value.message
    assert "'fictional.registry.example/Upper'" in message
    assert "container 'web'" in message
    assert "/spec/template/spec/containers/1/image" in message
    assert "lowercase" in message


def test_container_without_image_fails() -> None:
    with pytest.raises(OverriderFailure, match="container 'a'.*has no image"):
        apply_image_overriders(deployment({"name": "a"}), (REGISTRY,))


def test_entries_apply_in_order_on_the_previous_result() -> None:
    doc = deployment(container("a", "nginx:1"))
    out = apply_image_overriders(doc, (
        ImageOverrider("Registry", "replace", "r.example"),
        ImageOverrider("Repository", "add", "-x"),
        ImageOverrider("Tag", "add", ".1"),
    ))
    assert out["spec"]["template"]["spec"]["containers"][0]["image"] == "r.example/nginx-x:1.1"


def test_a_later_entry_fails_on_an_image_an_earlier_one_broke() -> None:
    doc = deployment(container("a", "nginx"))
    with pytest.raises(OverriderFailure, match="entry 1: cannot parse image 'bad registry/nginx'"):
        apply_image_overriders(doc, (ImageOverrider("Registry", "replace", "bad registry"), REGISTRY))


def test_uppercase_first_component_is_part_of_the_repository() -> None:
    # "R" is a valid host for distribution but not a registry for Karmada's split.
    assert override_image("R/nginx", REGISTRY) == "mirror.example/R/nginx"


# Valid references the parser must reproduce byte for byte.
_component = st.from_regex(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+){0,2}", fullmatch=True)
_registry = st.one_of(
    st.just(""),
    st.from_regex(r"[a-z0-9]+(?:\.[a-z0-9]+)+(?::[0-9]{1,5})?", fullmatch=True),
    st.from_regex(r"(?:localhost|[a-z0-9]+):[0-9]{1,5}", fullmatch=True),
    st.just("localhost"),
)
_tag = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
_digest = st.from_regex(r"sha256:[a-f0-9]{64}", fullmatch=True)


@given(_registry, st.lists(_component, min_size=1, max_size=3), st.one_of(st.just(""), _tag),
       st.one_of(st.just(""), _digest))
def test_parse_then_print_round_trips(registry: str, path: list[str], tag: str, digest: str) -> None:
    repository = "/".join(path)
    # Without a registry, a dotted first component would itself be read as one
    # (covered by the tables above).
    assume(registry or len(path) == 1 or "." not in path[0])
    image = (f"{registry}/" if registry else "") + repository + (f":{tag}" if tag else "") + (
        f"@{digest}" if digest else "")
    ref = parse_image(image)
    assert ref == ImageRef(registry, repository, tag, "" if tag else digest)
    if not (tag and digest):
        assert str(ref) == image


_VALID_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_VALID_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")


@given(st.text(max_size=12))
def test_invalid_tag_values_change_nothing(value: str) -> None:
    if _VALID_TAG.fullmatch(value) or _VALID_DIGEST.fullmatch(value):
        return
    assert override_image("r.example/app:v1", ImageOverrider("Tag", "replace", value)) == "r.example/app:v1"
    assert override_image("app", ImageOverrider("Tag", "add", value)) == "app"


_OVERRIDERS = st.builds(
    ImageOverrider,
    st.sampled_from(["Registry", "Repository", "Tag"]),
    st.sampled_from(["add", "remove", "replace"]),
    st.sampled_from(["", "r.io", "-x", "v2", ":5000", DIGEST]),
)


@given(st.sampled_from(["nginx", "nginx:1.25", "r.io/team/app:v1", f"app@{DIGEST}", "localhost:5000/app"]),
       st.lists(_OVERRIDERS, min_size=1, max_size=3))
def test_memoised_override_is_the_plain_computation(image: str, overriders: list[ImageOverrider]) -> None:
    # override_image is memoised per (image, overrider); chains reuse earlier answers.
    plain = override_image.__wrapped__
    cached, direct = image, image
    for overrider in overriders:
        try:
            direct = plain(direct, overrider)
        except ImageParseError as exc:
            with pytest.raises(ImageParseError, match=re.escape(str(exc))):
                override_image(cached, overrider)
            return
        cached = override_image(cached, overrider)
        assert cached == direct


def test_parse_failures_are_not_memoised() -> None:
    overrider = ImageOverrider("Tag", "replace", "v2")
    for _ in range(2):
        with pytest.raises(ImageParseError, match="lowercase"):
            override_image("Nginx", overrider)
