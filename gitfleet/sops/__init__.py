"""SOPS-encrypted files (YAML, age recipients): the format read without a key, the
decryption and MAC check with one, and encryption for ``gitfleet secrets encrypt``.

Pure apart from reading the age key (:mod:`gitfleet.sops.keys`). Offline commands see a
SOPS file's values as their ``ENC[...]`` strings; only the apply step decrypts
(:mod:`gitfleet.sops.apply`). See docs/secrets.md, "SOPS-encrypted Secrets".
"""
