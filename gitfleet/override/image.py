"""Karmada's imageOverrider and the image reference parser it relies on.

The parser follows ``pkg/util/imageparser`` in Karmada, which uses distribution's
``reference.Parse`` *without* docker.io normalization: ``nginx`` has no registry and
``library/nginx`` is a repository, not a registry plus a name. Getting this exactly
right matters because registry/repository ``add`` is plain string concatenation, so
any difference in the split shows up in the rendered image (KARMADA-SEMANTICS §4.2,
§9.9).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from gitfleet.model.policy import ImageOverrider
from gitfleet.override._doc import Cow, OverriderFailure, Token, format_pointer, is_map, list_index

# distribution/reference regexp.go (Go's RE2: \w is ASCII-only, hence re.ASCII).
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = _DOMAIN_COMPONENT + r"(?:\." + _DOMAIN_COMPONENT + r")*"
_HOST = r"(?:" + _DOMAIN_NAME + r"|\[(?:[a-fA-F0-9:]+)\])"
_DOMAIN_AND_PORT = _HOST + r"(?::[0-9]+)?"
_PATH_COMPONENT = _ALNUM + r"(?:" + _SEPARATOR + _ALNUM + r")*"
_REMOTE_NAME = _PATH_COMPONENT + r"(?:/" + _PATH_COMPONENT + r")*"
_NAME = r"(?:" + _DOMAIN_AND_PORT + r"/)?" + _REMOTE_NAME
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}"

_REFERENCE = re.compile(r"(" + _NAME + r")(?::(" + _TAG + r"))?(?:@(" + _DIGEST + r"))?", re.ASCII)
_ANCHORED_NAME = re.compile(r"(?:(" + _DOMAIN_AND_PORT + r")/)?(" + _REMOTE_NAME + r")", re.ASCII)
_ANCHORED_TAG = re.compile(_TAG, re.ASCII)
_ANCHORED_DIGEST = re.compile(_DIGEST, re.ASCII)

_REPOSITORY_NAME_MAX = 255
# go-digest algorithms Karmada links in (crypto/sha256, crypto/sha512 -> sha384 too):
# hex length and lowercase-only encoding.
_DIGEST_SIZES = {"sha256": 64, "sha384": 96, "sha512": 128}
_LOWER_HEX = re.compile(r"[a-f0-9]+")

# Kinds Karmada rewrites without a predicate, and where their containers live.
CONTAINER_PATHS: Mapping[str, tuple[str, ...]] = {
    "Pod": ("spec", "containers"),
    "ReplicaSet": ("spec", "template", "spec", "containers"),
    "Deployment": ("spec", "template", "spec", "containers"),
    "DaemonSet": ("spec", "template", "spec", "containers"),
    "StatefulSet": ("spec", "template", "spec", "containers"),
    "Job": ("spec", "template", "spec", "containers"),
}


class ImageParseError(ValueError):
    """The text is not an image reference distribution's ``reference.Parse`` accepts."""


@dataclass(frozen=True)
class ImageRef:
    """An image split as Karmada splits it. At most one of ``tag``/``digest`` is set."""

    registry: str = ""
    repository: str = ""
    tag: str = ""
    digest: str = ""

    @property
    def full_repository(self) -> str:
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    def __str__(self) -> str:
        if self.tag:
            return f"{self.full_repository}:{self.tag}"
        if self.digest:
            return f"{self.full_repository}@{self.digest}"
        return self.full_repository

    def with_tag_or_digest(self, value: str) -> ImageRef:
        """Karmada's SetTagOrDigest: a value that is neither a valid tag nor a valid
        digest changes nothing (no error)."""
        if _ANCHORED_TAG.fullmatch(value):
            return replace(self, tag=value, digest="")
        if _ANCHORED_DIGEST.fullmatch(value):
            return replace(self, tag="", digest=value)
        return self

    def without_tag_or_digest(self) -> ImageRef:
        if self.tag:
            return replace(self, tag="")
        return replace(self, digest="")


def _validate_digest(digest: str) -> None:
    algorithm, _, encoded = digest.partition(":")
    size = _DIGEST_SIZES.get(algorithm)
    if size is None:
        raise ImageParseError(f"unsupported digest algorithm {algorithm!r} (use sha256, sha384 or sha512)")
    if len(encoded) != size:
        raise ImageParseError(f"a {algorithm} digest has {size} hex characters, not {len(encoded)}")
    if not _LOWER_HEX.fullmatch(encoded):
        raise ImageParseError("the digest must be lowercase hex")


def split_registry(name: str) -> tuple[str, str]:
    """Karmada's SplitHostname: the first component is a registry only if it contains
    ``.`` or ``:`` or is ``localhost``."""
    head, slash, rest = name.partition("/")
    if not slash or (not ("." in head or ":" in head) and head != "localhost"):
        return "", name
    return head, rest


def parse_image(image: str) -> ImageRef:
    """Parse like Karmada's ``imageparser.Parse``; a tag+digest reference keeps the tag only."""
    match = _REFERENCE.fullmatch(image)
    if match is None:
        if image == "":
            raise ImageParseError("image is empty")
        if _REFERENCE.fullmatch(image.lower()):
            raise ImageParseError("repository name must be lowercase")
        raise ImageParseError("invalid reference format")
    name, tag, digest = match.group(1), match.group(2) or "", match.group(3) or ""
    name_match = _ANCHORED_NAME.fullmatch(name)
    path = name_match.group(2) if name_match else name
    if len(path) > _REPOSITORY_NAME_MAX:
        raise ImageParseError(f"repository name must not be longer than {_REPOSITORY_NAME_MAX} characters")
    if digest:
        _validate_digest(digest)
    registry, repository = split_registry(name)
    if tag:
        return ImageRef(registry, repository, tag, "")
    return ImageRef(registry, repository, "", digest)


# The same few images meet the same few overriders on every target cluster: parsing
# with distribution's regular expression and rebuilding the reference is the bulk of
# an imageOverrider's cost, and both are pure. Failures are not cached.
@lru_cache(maxsize=4096)
def override_image(image: str, overrider: ImageOverrider) -> str:
    """The image after one overrider; raises ``ImageParseError`` for an unparsable image."""
    ref = parse_image(image)
    op, value = overrider.operator, overrider.value
    if overrider.component == "Registry":
        if op == "add":
            ref = replace(ref, registry=ref.registry + value)
        elif op == "replace":
            ref = replace(ref, registry=value)
        elif op == "remove":
            ref = replace(ref, registry="")
    elif overrider.component == "Repository":
        if op == "add":
            ref = replace(ref, repository=ref.repository + value)
        elif op == "replace":
            ref = replace(ref, repository=value)
        elif op == "remove":
            ref = replace(ref, repository="")
    elif overrider.component == "Tag":
        if op == "add":
            ref = ref.with_tag_or_digest((ref.tag or ref.digest) + value)
        elif op == "replace":
            ref = ref.with_tag_or_digest(value)
        elif op == "remove":
            ref = ref.without_tag_or_digest()
    else:
        raise OverriderFailure(f"unsupported image component {overrider.component!r}")
    return str(ref)


@dataclass(frozen=True)
class ImageSite:
    """Where one image string lives in a manifest."""

    tokens: tuple[Token, ...]
    image: Any
    container: str | None = None  # the container's name, for messages

    def describe(self) -> str:
        where = format_pointer(self.tokens)
        if self.container is not None:
            return f"container {self.container!r} ({where})"
        return where


def default_sites(doc: Mapping[str, Any]) -> list[ImageSite]:
    """Every ``containers[*].image`` of a Pod or pod-template workload (init and
    ephemeral containers are left alone, as in Karmada); other kinds have none."""
    path = CONTAINER_PATHS.get(str(doc.get("kind", "")))
    if path is None:
        return []
    node: Any = doc
    for depth, key in enumerate(path):
        if node is None:
            return []
        if not is_map(node):
            raise OverriderFailure(f"{format_pointer(path[:depth])} is not an object")
        node = node.get(key)
    if node is None:
        return []
    if not isinstance(node, list):
        raise OverriderFailure(f"{format_pointer(path)} is not a list of containers")
    sites = []
    for index, container in enumerate(node):
        if not is_map(container):
            raise OverriderFailure(f"{format_pointer((*path, index))} is not a container object")
        name = container.get("name")
        sites.append(ImageSite((*path, index, "image"), container.get("image"), str(name)))
    return sites


def predicate_site(doc: Mapping[str, Any], path: str) -> ImageSite:
    """Walk a predicate path as Karmada's obtainImageValue does: split on ``/``, a list
    consumes the next segment as its index; a missing step is an error."""
    segments = path.strip("/").split("/")
    node: Any = doc
    tokens: list[Token] = []
    index = 0
    while index < len(segments) - 1:
        segment = segments[index]
        value = node.get(segment) if isinstance(node, Mapping) else None
        if isinstance(value, Mapping):
            node = value
            tokens.append(segment)
        elif isinstance(value, list):
            position = list_index(segments[index + 1], len(value))
            where = format_pointer((*tokens, segment))
            if position is None:
                raise OverriderFailure(
                    f"predicate path {path}: {segments[index + 1]!r} is not an index of {where}"
                    f" ({len(value)} items)"
                )
            if not isinstance(value[position], Mapping):
                raise OverriderFailure(f"predicate path {path}: {where}/{position} is not an object")
            node = value[position]
            tokens += [segment, position]
            index += 1
        else:
            raise OverriderFailure(
                f"predicate path {path}: {format_pointer((*tokens, segment))} does not exist"
                " or is not an object or list"
            )
        index += 1
    last = segments[-1]
    image = node.get(last) if isinstance(node, Mapping) else None
    if not isinstance(image, str):
        raise OverriderFailure(
            f"predicate path {path}: {format_pointer((*tokens, last))} does not exist or is not a string"
        )
    if not path.startswith("/"):
        raise OverriderFailure(f"predicate path {path!r} must start with '/'")
    name = node.get("name") if isinstance(node.get("name"), str) else None
    return ImageSite((*tokens, last), image, name)


def apply_image_overriders(doc: Mapping[str, Any], overriders: tuple[ImageOverrider, ...]) -> Mapping[str, Any]:
    """Apply imageOverrider entries in order; returns a new document (or ``doc`` itself
    when nothing applies). Each entry sees the images the previous one wrote."""
    cow = Cow(doc)
    for number, overrider in enumerate(overriders):
        try:
            if overrider.predicate_path is None:
                sites = default_sites(cow.root)
            else:
                sites = [predicate_site(cow.root, overrider.predicate_path)]
            for site in sites:
                if not isinstance(site.image, str):
                    raise OverriderFailure(f"{site.describe()} has no image string")
                try:
                    new = override_image(site.image, overrider)
                except ImageParseError as exc:
                    raise OverriderFailure(f"cannot parse image {site.image!r} of {site.describe()}: {exc}") from None
                if new != site.image:
                    cow.set(site.tokens, new)
        except OverriderFailure as exc:
            raise OverriderFailure(f"entry {number}: {exc.message}") from None
    result: Mapping[str, Any] = cow.root
    return result
