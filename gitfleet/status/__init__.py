"""The status branch as data: the rendered tree's layout (``placements.yaml`` and one
file per manifest under ``clusters/``), Secret masking by digest, and the ``gitfleet
status`` report. Pure; :mod:`gitfleet.git.statusbranch` writes it to Git."""
