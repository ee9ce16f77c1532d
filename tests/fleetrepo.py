"""A small fleet repo in Git for the tiers that apply to real clusters (cluster tier and
reconciler): one namespace, a ConfigMap and a Deployment placed on member1 and member2."""

from __future__ import annotations

from pathlib import Path

import pygit2

SIG = pygit2.Signature("tester", "tester@example.com", 1_700_000_000, 0)
CLUSTER = "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {{name: {0}}}\nspec: {{syncMode: Push}}\n"


def fleet_files(ns: str, greeting: str = "hello", replicas: int = 2,
                with_config: bool = True) -> dict[str, str | None]:
    """The repo's files; ``None`` removes a file (the ConfigMap when not ``with_config``)."""
    return {
        "fleet.yaml": f"apiVersion: gitfleet.io/v1alpha1\nkind: Fleet\nmetadata: {{name: {ns}}}\n"
                      "spec:\n  apply: {maxPruneFraction: 0.5, drift: correct}\n",
        "clusters/member1.yaml": CLUSTER.format("member1"),
        "clusters/member2.yaml": CLUSTER.format("member2"),
        "policies/pp.yaml": f"""apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: app, namespace: {ns}}}
spec:
  resourceSelectors:
    - {{apiVersion: apps/v1, kind: Deployment, name: web}}
    - {{apiVersion: v1, kind: ConfigMap, name: cfg}}
  placement:
    clusterAffinity: {{clusterNames: [member1, member2]}}
""",
        "templates/ns.yaml": f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n",
        "templates/web.yaml": f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {ns}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers: [{{name: web, image: "nginx:1.25"}}]
""",
        "templates/cfg.yaml": (f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cfg, namespace: {ns}}}\n"
                               f"data: {{greeting: {greeting}}}\n") if with_config else None,
    }


def commit_files(repo: pygit2.Repository, files: dict[str, str | None], message: str = "change") -> str:
    """Write ``files`` into the work tree (``None`` deletes) and commit them all."""
    root = Path(repo.workdir)
    for rel, text in files.items():
        target = root / rel
        if text is None:
            target.unlink(missing_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    repo.index.add_all()
    repo.index.write()
    tree = repo.index.write_tree()
    parents = [] if repo.head_is_unborn else [repo.head.target]
    return str(repo.create_commit("HEAD", SIG, SIG, message, tree, parents))


class FleetRepo:
    """A fleet repo whose every change is one commit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.repo = pygit2.init_repository(str(path), initial_head="main")

    def commit(self, files: dict[str, str | None], message: str = "change") -> str:
        return commit_files(self.repo, files, message)
