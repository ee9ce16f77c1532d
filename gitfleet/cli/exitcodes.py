"""Exit codes are part of the interface (DESIGN.md §3)."""

OK = 0
INVALID = 1  # invalid input, nothing applied; `diff --exit-code`: differences found
USAGE = 2
PARTIAL = 3  # some clusters failed, the others were reconciled
