"""Sandboxed Jinja2 rendering: context, strict undefined, sandbox escapes, errors with
template line numbers, YAML 1.1 parsing of the output."""

from __future__ import annotations

import pytest

from gitfleet.errors import TemplateError
from gitfleet.load.jinja import _compile
from gitfleet.model.cluster import Cluster
from gitfleet.template import cluster_context, render_documents, render_text, template_context

MEMBER = Cluster(name="member1", labels={"env": "prod"}, provider="aws", region="eu", zones=("a", "b"),
                 obj={"metadata": {"name": "member1"}})
CONTEXT = template_context({"domain": "example.com", "n": 2}, "demo", ["member2", "member1"], MEMBER)


def test_cluster_context() -> None:
    assert cluster_context(MEMBER) == {
        "name": "member1", "labels": {"env": "prod"}, "provider": "aws", "region": "eu", "zone": "a",
        "zones": ["a", "b"], "object": {"metadata": {"name": "member1"}},
    }


def test_context_has_values_cluster_and_fleet() -> None:
    text = ("host: {{ cluster.name }}.{{ values.domain }}\nfleet: {{ fleet.name }}\n"
            "all: {{ fleet.clusters | join(',') }}\nenv: {{ cluster.labels.env }}\nz: {{ cluster.zone }}\n"
            "nodes: {{ cluster.object.metadata.name }}\n")
    assert render_text(text, "t.yaml.j2", CONTEXT) == (
        "host: member1.example.com\nfleet: demo\nall: member1,member2\nenv: prod\nz: a\nnodes: member1\n")


def test_block_tags_leave_no_blank_lines() -> None:
    text = "a: 1\n{% if cluster.region == 'eu' %}\nb: 2\n{% endif %}\nc: 3\n"
    assert render_text(text, "t.yaml.j2", CONTEXT) == "a: 1\nb: 2\nc: 3\n"


def test_output_is_yaml_1_1() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  flag: {{ 'on' }}\n  mode: 0644\n"
    (doc,) = render_documents(text, "t.yaml.j2", CONTEXT)
    assert doc["data"] == {"flag": True, "mode": 420}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: 1\nb: {{ nope }}\n", 2, "undefined in template: 'nope' is undefined"),
        ("a: 1\n\nb: {{ values.missing }}\n", 3, "'dict object' has no attribute 'missing'"),
        ("a: {{ cluster.labels['team'] }}\n", 1, "has no attribute 'team'"),
        ("a: 1\n{% if x %}\nb: 2\n", 3, "template syntax error"),
        ("a: {{ 1 / 0 }}\n", 1, "template failed: ZeroDivisionError"),
        ("a: {{ range(10 ** 9) | list }}\n", 1, "Range too big"),
        ("a: 1\nb: {{ 2 ** 200000 }}\n", 2, "template exceeds a limit: the result of ** would be a 200,001-bit"),
    ],
    ids=["undefined-name", "missing-value", "missing-label", "syntax", "exception", "huge-range",
         "huge-exponent"],
)
def test_errors_carry_the_template_line(text: str, line: int, words: str) -> None:
    with pytest.raises(TemplateError) as info:
        render_text(text, "t.yaml.j2", CONTEXT)
    assert (info.value.path, info.value.line) == ("t.yaml.j2", line)
    assert words in info.value.message


ESCAPES = [
    ("{{ ''.__class__.__mro__ }}", "'__class__'"),
    ("{{ ().__class__.__base__.__subclasses__() }}", "'__class__'"),
    ("{{ joiner.__call__.__globals__ }}", "'__call__'"),
    ("{{ cycler.__init__.__globals__.os }}", "'__init__'"),
    ("{{ self.__init__ }}", "'__init__'"),
    ("{{ cluster.object.__class__ }}", "'__class__'"),
    ("{{ '{0.__class__}'.format(1) }}", "'__class__'"),
    ("{{ values.update({'a': 1}) }}", "'update'"),
    ("{{ cluster.zones.append('x') }}", "'append'"),
]


@pytest.mark.parametrize(("text", "words"), ESCAPES, ids=[e[0] for e in ESCAPES])
def test_sandbox_escapes_are_errors(text: str, words: str) -> None:
    with pytest.raises(TemplateError) as info:
        render_text("a: 1\n" + text + "\n", "evil.yaml.j2", CONTEXT)
    assert info.value.line == 2
    assert info.value.message.startswith("template tried to leave its sandbox")
    assert words in info.value.message


@pytest.mark.parametrize("tag", ["{% include '/etc/passwd' %}", "{% import 'os' as os %}",
                                 "{% from 'x' import y %}", "{% extends 'base' %}"])
def test_no_file_access(tag: str) -> None:
    with pytest.raises(TemplateError) as info:
        render_text("a: 1\n" + tag + "\n", "evil.yaml.j2", CONTEXT)
    assert info.value.line == 2
    assert "not allowed: templates are rendered in a sandbox without file access" in info.value.message


def test_compiled_templates_are_cached_by_source() -> None:
    text = "cached: {{ cluster.name }}\n"
    assert _compile(text, "a.yaml.j2") is _compile(text, "b.yaml.j2")


def test_cached_compile_errors_name_each_callers_path() -> None:
    for path in ("a.yaml.j2", "b.yaml.j2"):
        with pytest.raises(TemplateError) as info:
            render_text("{% if %}\n", path, CONTEXT)
        assert info.value.path == path


def test_rendered_yaml_errors_point_into_the_template() -> None:
    text = ("data:\n{% for z in cluster.zones %}\n  zone-{{ z }}: {{ z }}\n{% endfor %}\n"
            "  broken: [\nnext: 1\n")
    with pytest.raises(TemplateError) as info:
        render_documents(text, "t.yaml.j2", CONTEXT)
    assert info.value.line == 6
    assert info.value.message.startswith("rendered template is not valid YAML")


def test_rendered_documents_must_be_mappings() -> None:
    with pytest.raises(TemplateError, match="rendered document 2 is not a mapping"):
        render_documents("a: 1\n---\n- x\n", "t.yaml.j2", CONTEXT)


def test_empty_rendered_documents_are_skipped() -> None:
    text = "{% if cluster.name == 'other' %}\na: 1\n{% endif %}\n---\nb: 2\n"
    assert render_documents(text, "t.yaml.j2", CONTEXT) == [{"b": 2}]
