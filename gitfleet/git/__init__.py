"""Git adapter (the only package that imports pygit2): reading the fleet repo from a
working tree or any revision, mirroring remotes, and the status branch."""
