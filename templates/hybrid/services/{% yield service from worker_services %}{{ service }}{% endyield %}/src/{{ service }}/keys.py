"""Ed25519 key pairs for the tokens the web app signs and the workers verify.

Production reads the keys from the environment. Development uses this checkout's own
pair, made on first run in a git-ignored directory at the project root; the web app
and every worker read it from there (the web app the private key, the workers only the
public one). This module is the same file in the web app and in each worker.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

PRIVATE_KEY_FILE = "private.pem"
PUBLIC_KEY_FILE = "public.pem"


@dataclass(frozen=True)
class KeyPair:
    """Both keys as PEM text."""

    private_pem: str
    public_pem: str


def new_key_pair() -> KeyPair:
    private_key = Ed25519PrivateKey.generate()
    return KeyPair(
        private_pem=private_key.private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        ).decode(),
        public_pem=private_key.public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        .decode(),
    )


def development_private_key(directory: Path) -> str:
    """The private key of the development pair in `directory`, made on first use."""
    return (_development_key_pair(directory) / PRIVATE_KEY_FILE).read_text()


def development_public_key(directory: Path) -> str:
    """The public key of the development pair in `directory`, made on first use."""
    return (_development_key_pair(directory) / PUBLIC_KEY_FILE).read_text()


def _development_key_pair(directory: Path) -> Path:
    """`directory` (mode 0700), holding a key pair in files of mode 0600.

    The web app and the workers start at the same moment and may all find no pair: each
    writes a pair into a temporary directory beside `directory` and renames it into
    place. A rename is atomic, so the first one wins and the others discard their own;
    nobody ever reads half a pair.
    """
    if directory.is_dir():
        return directory
    directory.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    pair = new_key_pair()
    for name, pem in ((PRIVATE_KEY_FILE, pair.private_pem), (PUBLIC_KEY_FILE, pair.public_pem)):
        (staging / name).touch(mode=0o600)  # private before it holds anything
        (staging / name).write_text(pem)
    try:
        os.rename(staging, directory)
    except OSError:
        # Another process put its pair in place first: use that one.
        shutil.rmtree(staging)
        if not directory.is_dir():
            raise
    return directory
