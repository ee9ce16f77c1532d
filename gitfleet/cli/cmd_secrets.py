"""``gitfleet secrets encrypt|decrypt FILE``: write and read SOPS files (YAML, age) as
the real ``sops`` does, so a fleet repo can hold Secrets encrypted (docs/secrets.md)."""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from gitfleet.cli import exitcodes
from gitfleet.errors import UsageError

DEFAULT_REGEX = "^(data|stringData)$"
MAX_FILE = 8 * 1024 * 1024


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "secrets", help="encrypt or decrypt a SOPS file (YAML, age recipients)",
        description="Write and read SOPS-encrypted YAML files with age keys, in the format of the real sops "
        "(either tool reads what the other wrote).",
    )
    verbs = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    enc = verbs.add_parser(
        "encrypt", help="encrypt FILE for age recipients",
        description="Encrypt FILE for the age RECIPIENTs. By default only the values under data and stringData "
        "are encrypted (encrypted_regex ^(data|stringData)$), so the object's identity stays readable, as "
        "gitfleet needs. Key order and comments are kept; comments stay in clear.",
    )
    enc.add_argument("file", metavar="FILE")
    enc.add_argument("--age", "--recipients", dest="age", required=True, metavar="RECIPIENT[,...]",
                     help="age public keys (age1...), comma-separated; the option may be repeated",
                     action="append")
    rule = enc.add_mutually_exclusive_group()
    rule.add_argument("--encrypted-regex", metavar="RE", help=f"encrypt values below keys matching RE (RE2; "
                      f"default {DEFAULT_REGEX})")
    rule.add_argument("--unencrypted-regex", metavar="RE", help="encrypt all values but those below keys "
                      "matching RE")
    rule.add_argument("--encrypted-suffix", metavar="S", help="encrypt values below keys ending with S")
    rule.add_argument("--unencrypted-suffix", metavar="S", help="encrypt all values but those below keys "
                      "ending with S")
    enc.add_argument("-i", "--in-place", action="store_true", help="write FILE instead of standard output")
    enc.set_defaults(func=run_encrypt)
    dec = verbs.add_parser(
        "decrypt", help="print FILE decrypted",
        description="Decrypt FILE with the age key (--age-key-file, or SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, "
        "~/.config/sops/age/keys.txt as sops finds it), check its MAC and print it in clear.",
    )
    dec.add_argument("file", metavar="FILE")
    dec.add_argument("--age-key-file", metavar="PATH", help="the age key file (AGE-SECRET-KEY-1... lines)")
    dec.set_defaults(func=run_decrypt)


def _read(path: str) -> str:
    try:
        if Path(path).stat().st_size > MAX_FILE:
            raise UsageError(f"{path}: larger than 8 MiB", exitcodes.INVALID)
        return Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a UTF-8 file", exitcodes.INVALID) from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None


def _failed(path: str, text: str, exc: Any) -> int:
    """``path:line:col: message`` for a SopsError, pointing into the first document."""
    from gitfleet.errors import PositionedError
    from gitfleet.load.yamlio import parse_documents

    line = col = 1
    try:
        docs = parse_documents(text, path)
        if docs:
            line, col = docs[0].locator.locate(exc.where)
    except PositionedError as err:
        line, col = err.line, err.col
    print(f"{path}:{line}:{col}: {exc.message}", file=sys.stderr)
    return exitcodes.INVALID


def run_encrypt(args: argparse.Namespace) -> int:
    from gitfleet.sops.encrypt import encrypt_text
    from gitfleet.sops.format import SopsError

    if args.encrypted_regex is not None:
        rule, pattern = "encrypted_regex", args.encrypted_regex
    elif args.unencrypted_regex is not None:
        rule, pattern = "unencrypted_regex", args.unencrypted_regex
    elif args.encrypted_suffix is not None:
        rule, pattern = "encrypted_suffix", args.encrypted_suffix
    elif args.unencrypted_suffix is not None:
        rule, pattern = "unencrypted_suffix", args.unencrypted_suffix
    else:
        rule, pattern = "encrypted_regex", DEFAULT_REGEX
    if not pattern:
        raise UsageError(f"--{rule.replace('_', '-')} must not be empty")
    text = _read(args.file)
    try:
        out = encrypt_text(text, args.age, rule=rule, pattern=pattern)
    except SopsError as exc:
        return _failed(args.file, text, exc)
    if not args.in_place:
        sys.stdout.write(out)
        return exitcodes.OK
    target = Path(args.file)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(out)
        os.chmod(tmp, target.stat().st_mode & 0o777)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return exitcodes.OK


def _clear(value: Any, clear: dict[str, Any]) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, CommentedMap):
        for k in list(value):
            value[k] = _clear(value[k], clear)
        return value
    if isinstance(value, CommentedSeq):
        for i, item in enumerate(value):
            value[i] = _clear(item, clear)
        return value
    if isinstance(value, str) and str(value) in clear:
        found = clear[str(value)]
        return found.decode("utf-8", "replace") if isinstance(found, bytes) else found
    return value


def run_decrypt(args: argparse.Namespace) -> int:
    from ruamel.yaml import YAML

    from gitfleet.sops.decrypt import decrypt_text
    from gitfleet.sops.format import METADATA_KEY, SopsError
    from gitfleet.sops.keys import load_identities

    text = _read(args.file)
    try:
        identities = load_identities(args.age_key_file)
        decrypted = decrypt_text(text, identities)
    except SopsError as exc:
        return _failed(args.file, text, exc)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    docs = [d for d in yaml.load_all(text) if d is not None]
    for doc in docs:
        doc.pop(METADATA_KEY, None)
    out = io.StringIO()
    yaml.dump_all([_clear(d, decrypted.clear) for d in docs], out)
    sys.stdout.write(out.getvalue())
    return exitcodes.OK
