"""Portal users' passwords: Argon2id hashes (argon2-cffi), one-time passwords, the rules.

Only the hash is stored; it embeds its own parameters and salt, so a hash made
with older (cheaper) parameters still verifies and is replaced at the next
sign-in (``needs_rehash``).
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from functools import cached_property

from argon2 import Parameters, PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

MIN_LENGTH = 12
# Longer is pointless and costs hashing time an attacker could make us spend.
MAX_LENGTH = 1024
RULE = f"use {MIN_LENGTH} to {MAX_LENGTH} characters"


# Letters and digits that cannot be misread for one another (no 0/O/o, 1/l/I) or
# split a double-click selection (no - or _): a one-time password is typed by hand.
ONE_TIME_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
ONE_TIME_LENGTH = 20  # 20 of 56 symbols: over 116 random bits


def new_one_time_password() -> str:
    """A random password to type once, at the first sign-in, and then change."""
    return "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(ONE_TIME_LENGTH))


def password_problem(password: str) -> str | None:
    """Why ``password`` breaks the rules, in words for its owner (never repeating it)."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return f"it has {len(password)} characters: {RULE}"
    return None


class PasswordHashing:
    """Argon2id with RFC 9106's low-memory profile (64 MiB, 3 passes) unless told otherwise."""

    def __init__(self, parameters: Parameters = RFC_9106_LOW_MEMORY) -> None:
        if parameters.type is not Type.ID:
            raise ValueError("portal passwords are hashed with Argon2id only")
        self._hasher = PasswordHasher.from_parameters(parameters)

    @classmethod
    def argon2id(cls, memory_kib: int, passes: int, lanes: int) -> PasswordHashing:
        """Argon2id at these costs (the operator's settings), with RFC 9106's salt and
        hash lengths."""
        return cls(
            replace(
                RFC_9106_LOW_MEMORY, memory_cost=memory_kib, time_cost=passes, parallelism=lanes
            )
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def matches(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when ``stored_hash`` was made with other parameters than today's."""
        return self._hasher.check_needs_rehash(stored_hash)

    @cached_property
    def _dummy_hash(self) -> str:
        return self._hasher.hash(secrets.token_urlsafe(16))

    def spend_like_a_check(self, password: str) -> None:
        """Verify ``password`` against a hash nobody has: an unknown email costs what a
        wrong password does, so the answer's timing does not tell which emails exist."""
        self.matches(self._dummy_hash, password)
