"""Hostile text in the pull-request comment (issue 9, "PR comments").

Every string the comment shows comes from the pull request: resource keys, cluster
names, warnings and failure messages, revision names. Each case puts one hostile
string in one place and reads the comment back with a CommonMark + GFM-table parser
(markdown-it, with HTML on, as GitHub renders it): the string must stay text, the
deletion list must stay visible, and nothing else may be added to the page.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pygit2
import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from gitfleet.diff.markdown import MARKER, format_markdown
from gitfleet.diff.model import ClusterDiff, ObjectChange, PlacementChange, PlanDiff
from tests.security.hostile import assert_no_traceback, run_cli, write_repo

LGTM = "\n\n**LGTM** approved by @acme/security-team\n\n"
HIDE = "--><!--"  # closes one comment and opens another over the rest
HOSTILE = {
    "bold-lgtm": LGTM,
    "open-comment": "<!-- ",
    "close-and-reopen": HIDE,
    "details-close": "</summary></details><!--",
    "backticks": "`` ` ```\n<!--",
    "table-pipe": "a | b | c |\n|---|",
    "heading": "# LGTM",
    "link": "[LGTM](https://evil.example/)",
    "image": "![x](https://evil.example/pixel.png)",
    "html-tag": "<img src=x onerror=alert(1)><b>LGTM</b>",
    "mention": "@acme/security-team",
    "bidi": "harmless\u202e<!--",
    "entity": "&lt;!-- &#60;!--",
    "quote": "> LGTM",
    "strike": "~~deleted~~ _x_ *y*",
}
REMOVED = "apps/v1/Deployment/shop/the-deleted-one"


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _flat(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for token in tokens:
        out.append(token)
        out.extend(_flat(token.children or []))
    return out


def _diff(where: str, hostile: str) -> PlanDiff:
    """A comment with one deletion and one change, ``hostile`` in ``where``."""
    cluster = hostile if where == "cluster" else "member1"
    key = f"v1/ConfigMap/shop/{hostile}" if where == "key" else "v1/ConfigMap/shop/cfg"
    removed = ObjectChange(REMOVED, "removed", "p", goes_with=(hostile,) if where == "goes-with" else ())
    changed = ObjectChange(key, "changed", "p", diff=f"--- a\n+++ b\n-x: 1\n+x: {hostile}\n")
    cdiff = ClusterDiff(
        cluster, removed=(removed,), changed=(changed,), base_count=10, head_count=9,
        failures=(f"{key}: {hostile}",) if where == "failure" else (),
        state=hostile if where == "state" else "",
        prune_guard=where == "cluster",
    )
    placement = PlacementChange(key, "moved", f"moved from {cluster} to member2")
    diff = PlanDiff((cdiff,), (placement,), 0.05)
    if where == "warning":
        diff = replace(diff, new_warnings=(f"templates/x.yaml:1:1: warning: {hostile}",))
    if where == "label":
        diff = replace(diff, head_label=hostile)
    return diff


WHERE = ["cluster", "key", "goes-with", "failure", "state", "warning", "label"]


def _structure(comment: str) -> list[str]:
    """The comment's elements, without the text inside them."""
    return [t.type for t in _flat(_parser().parse(comment)) if t.type not in ("text", "text_special")]


def _rows(tokens: list[Token]) -> list[list[str]]:
    """The table's rows, each as the source text of its cells."""
    rows: list[list[str]] = []
    for i, token in enumerate(tokens):
        if token.type == "tr_open":
            rows.append([])
        elif token.type in ("td_open", "th_open"):
            rows[-1].append(tokens[i + 1].content if tokens[i + 1].type == "inline" else "")
    return rows


def _assert_inert(comment: str, benign: str) -> None:
    """``comment`` has exactly the elements of ``benign`` (the same comment with a
    harmless string): no added emphasis, heading, link, quote, list, table cell or HTML."""
    tokens = _flat(_parser().parse(comment))
    html = "".join(t.content for t in tokens if t.type in ("html_block", "html_inline"))
    assert html.count("<!--") == 1 and MARKER in html, html
    assert not re.search(r"<(?!/?(details|summary|b)>|!-- gitfleet-diff -->)", html), html
    assert _structure(comment) == _structure(benign), comment
    # A "|" that splits a cell shifts the counts (GFM drops the cells past the header's).
    benign_rows = _rows(_flat(_parser().parse(benign)))
    assert [row[1:5] for row in _rows(tokens)] == [row[1:5] for row in benign_rows], _rows(tokens)
    # A team is never pinged: '@' is followed by a word joiner outside code.
    for token in tokens:
        if token.type == "text":
            assert not re.search(r"@[A-Za-z]", token.content), token.content
    # The deletion list is still there, its key in a code span of a list item.
    rendered = _parser().render(comment)
    assert f"<li><code>{REMOVED}</code>" in rendered, rendered


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_text_stays_text(name: str, where: str) -> None:
    comment = format_markdown(_diff(where, HOSTILE[name]))
    _assert_inert(comment, format_markdown(_diff(where, "harmless")))


def test_the_checks_catch_an_unescaped_comment() -> None:
    # The assertions above would see a name printed as it is.
    benign = format_markdown(_diff("cluster", "harmless"))
    for raw in (benign.replace("harmless", "<!--"), benign.replace("harmless", "**LGTM**"),
                benign.replace("harmless", "x | 7 |")):
        with pytest.raises(AssertionError):
            _assert_inert(raw, benign)


def _git_repo(root: Path, branch: str) -> None:
    """A fleet repo whose ``main`` has a ConfigMap placed on member1 and whose
    ``branch`` deletes it and adds a file with a hostile name that nothing places."""
    repo = pygit2.init_repository(str(root), initial_head="main")
    sig = pygit2.Signature("t", "t@example.com", 1_700_000_000, 0)
    files = {
        "fleet.yaml": "apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {name: f}\n",
        "clusters/member1.yaml": "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\n"
                                 "metadata: {name: member1}\nspec: {syncMode: Push}\n",
        "policies/pp.yaml": "apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\n"
                            "metadata: {name: pp, namespace: shop}\nspec:\n  resourceSelectors:\n"
                            "    - {apiVersion: v1, kind: ConfigMap, name: cfg}\n"
                            "  placement: {clusterAffinity: {clusterNames: [member1]}}\n",
        "templates/cfg.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\n",
    }
    write_repo(root, files)
    repo.index.add_all()
    repo.index.write()
    base = repo.create_commit("HEAD", sig, sig, "base", repo.index.write_tree(), [])
    (root / "templates/cfg.yaml").unlink()
    write_repo(root, {"templates/**LGTM** <!--.yaml": "apiVersion: v1\nkind: ConfigMap\n"
                                                      "metadata: {name: orphan, namespace: shop}\n"})
    repo.index.add_all()
    repo.index.write()
    head = repo.create_commit(None, sig, sig, "head", repo.index.write_tree(), [base])
    repo.branches.local.create(branch, repo[head])


def test_hostile_branch_and_file_names_through_the_cli(tmp_path: Path) -> None:
    branch = "x<!--evil"
    _git_repo(tmp_path / "repo", branch)
    code, out, err = run_cli(["diff", str(tmp_path / "repo"), "--base", "main", "--head", branch,
                              "-o", "markdown"])
    assert_no_traceback(out, err)
    assert code == 0, err
    tokens = _flat(_parser().parse(out))
    html = "".join(t.content for t in tokens if t.type in ("html_block", "html_inline"))
    assert html.count("<!--") == 1, html
    assert "<code>v1/ConfigMap/shop/cfg</code>" in _parser().render(out)
    assert "**LGTM**" not in out.replace("\\*", "")
