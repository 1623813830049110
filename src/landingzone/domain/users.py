"""Portal users (SPEC §10): creating, listing, disabling and resetting them, and the
sign-in check the portal calls.

Users are people, apart from OAuth clients: an ``operator`` sees every customer, a
``member`` one. Emails are compared normalised (trimmed, lower-case). Passwords are
kept only as Argon2id hashes; one the system chose (a one-time password) must be
changed at the next sign-in. Every change is audited in its own transaction; a
sign-in too, refused or not. No password or hash ever leaves this module but to
the hashing and the directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from landingzone.auth.passwords import (
    PasswordHashing,
    new_one_time_password,
    password_problem,
)
from landingzone.domain.audit import CLI, Actor, AuditEntry
from landingzone.domain.models import NewUser, User, UserRole
from landingzone.domain.paging import (
    DEFAULT_PAGE,
    MAX_PAGE,
    Page,
    check_limit,
    decode_cursor,
    page_of,
)
from landingzone.domain.ports import AuditTrail, Tenants, UserDirectory
from landingzone.errors import InvalidDocument, NotFound, SignInRefused

MAX_EMAIL_LENGTH = 254  # RFC 5321's path limit, less the angle brackets
# One @, something before it, a domain after it; no spaces, control characters or
# slashes (an email is a path segment of the admin API). Deliverability is the
# operator's business: this only catches typing mistakes.
_EMAIL_CHAR = r"[^@\s\x00-\x1f\x7f/\\]"
EMAIL = re.compile(rf"{_EMAIL_CHAR}{{1,64}}@(?!\.){_EMAIL_CHAR}+")
CURSOR_KIND = "user"
REFUSED = "refused"
# Who the audit log names for a sign-in whose email is not even an address: the text
# typed may be a password typed into the wrong field, so it is never written.
NOT_AN_EMAIL = "?"
WRONG_EMAIL_OR_PASSWORD = "Wrong email or password."  # noqa: S105 - a message
WRONG_CURRENT_PASSWORD = "Wrong email or current password."  # noqa: S105 - a message
DISABLED = "This account is disabled: ask an operator to enable it."


@dataclass(frozen=True)
class IssuedUser:
    """A user with the password the system chose: shown once, then only its hash exists."""

    user: User
    one_time_password: str | None  # None when the password was given (not one-time)


def normalise_email(raw: str) -> str:
    return raw.strip().lower()


def is_email(address: str) -> bool:
    return len(address) <= MAX_EMAIL_LENGTH and EMAIL.fullmatch(address) is not None


class UserService:
    def __init__(
        self,
        directory: UserDirectory,
        tenants: Tenants,
        audit: AuditTrail,
        hashing: PasswordHashing,
    ) -> None:
        self._directory = directory
        self._tenants = tenants
        self._audit = audit
        self._hashing = hashing

    # -- what operators do (CLI and admin API) ----------------------------------------

    def create(
        self,
        email: str,
        role: str,
        customer: str | None = None,
        password: str | None = None,
        actor: Actor = CLI,
    ) -> IssuedUser:
        """A new user; without ``password``, a one-time one to change at first sign-in."""
        address = normalise_email(email)
        if not is_email(address):
            raise InvalidDocument(
                f"Invalid email {email!r}: give an address such as ann@example.com "
                f"(at most {MAX_EMAIL_LENGTH} characters)."
            )
        chosen_role = self._role(role, customer)
        customer_id = None
        if customer is not None:
            found = self._tenants.get_customer_by_name(customer)
            if found is None:
                raise InvalidDocument(
                    f"Unknown customer '{customer}': create it first, or pick one from "
                    "'landingzone admin customer list'."
                )
            customer_id = found.id
        secret, one_time = self._password_to_set(password)
        user = self._directory.create(
            NewUser(
                email=address,
                role=chosen_role,
                customer_id=customer_id,
                password_hash=self._hashing.hash(secret),
                must_change_password=one_time,
            ),
            actor.did("user.create", address, customer_id),
        )
        return IssuedUser(user, secret if one_time else None)

    def find(self, email: str) -> User | None:
        return self._directory.get(normalise_email(email))

    def get(self, email: str) -> User:
        user = self.find(email)
        if user is None:
            raise NotFound(
                f"No user with email '{email.strip()}'; see 'landingzone admin user list'."
            )
        return user

    def list_users(
        self, customer: str | None = None, limit: int = DEFAULT_PAGE, cursor: str | None = None
    ) -> Page[User]:
        """One page of users in the order they were created, of one customer or all."""
        check_limit(limit)
        after = decode_cursor(CURSOR_KIND, cursor) if cursor else None
        customer_id = None
        if customer is not None:
            found = self._tenants.get_customer_by_name(customer)
            if found is None:
                raise NotFound(
                    f"No customer named '{customer}'; see 'landingzone admin customer list'."
                )
            customer_id = found.id
        fetched = self._directory.list_users(customer_id, limit + 1, after)
        return page_of(fetched, limit, CURSOR_KIND, lambda user: user.id)

    def list_all(self, customer: str | None = None) -> list[User]:
        """Every user (of one customer), page by page."""
        found: list[User] = []
        cursor = None
        while True:
            page = self.list_users(customer, MAX_PAGE, cursor)
            found.extend(page.items)
            if page.next_cursor is None:
                return found
            cursor = page.next_cursor

    def disable(self, email: str, actor: Actor = CLI) -> User:
        """Refuse the user's sign-ins from now on (already disabled: nothing changes)."""
        user = self.get(email)
        return self._directory.set_disabled(
            user.id, True, actor.did("user.disable", user.email, user.customer_id)
        )

    def enable(self, email: str, actor: Actor = CLI) -> User:
        user = self.get(email)
        return self._directory.set_disabled(
            user.id, False, actor.did("user.enable", user.email, user.customer_id)
        )

    def reset_password(
        self, email: str, password: str | None = None, actor: Actor = CLI
    ) -> IssuedUser:
        """A new password: ``password``, or a one-time one to change at the next sign-in."""
        user = self.get(email)
        secret, one_time = self._password_to_set(password)
        updated = self._directory.set_password(
            user.id,
            self._hashing.hash(secret),
            one_time,
            actor.did("user.reset_password", user.email, user.customer_id),
        )
        return IssuedUser(updated, secret if one_time else None)

    # -- what the user does (the portal) -----------------------------------------------

    def verify_sign_in(self, email: str, password: str, request_id: str | None = None) -> User:
        """The user whose email and password these are, if enabled; SignInRefused otherwise.

        An unknown email costs one hash check like a wrong password does, and gets the
        same answer. Records the sign-in (and a refusal) in the audit log; a hash made
        with older parameters is replaced by one made with today's.
        """
        address = normalise_email(email)
        user, stored = self._checked(
            address, password, "user.signin", request_id, WRONG_EMAIL_OR_PASSWORD
        )
        rehashed = self._hashing.hash(password) if self._hashing.needs_rehash(stored) else None
        actor = Actor(f"user:{address}", request_id)
        return self._directory.signed_in(
            user.id, rehashed, actor.did("user.signin", address, user.customer_id)
        )

    def change_password(
        self, email: str, current: str, new: str, request_id: str | None = None
    ) -> User:
        """The user's own change: ``current`` must be right, ``new`` follow the rules."""
        address = normalise_email(email)
        user, _ = self._checked(
            address, current, "user.change_password", request_id, WRONG_CURRENT_PASSWORD
        )
        problem = password_problem(new)
        if problem is not None:
            raise InvalidDocument(f"Invalid new password: {problem}.")
        if new == current:
            raise InvalidDocument("The new password must differ from the current one.")
        actor = Actor(f"user:{address}", request_id)
        return self._directory.set_password(
            user.id,
            self._hashing.hash(new),
            False,
            actor.did("user.change_password", address, user.customer_id),
        )

    # -- rules ---------------------------------------------------------------------------

    def _checked(
        self, address: str, password: str, action: str, request_id: str | None, wrong: str
    ) -> tuple[User, str]:
        """The enabled user with this email and password, and its stored hash; refused
        (and audited) otherwise."""
        known = is_email(address)
        target = address if known else NOT_AN_EMAIL
        actor = Actor(f"user:{target}", request_id)
        found = self._directory.sign_in_hash(address) if known else None
        if found is None:
            self._hashing.spend_like_a_check(password)
            raise self._refused(actor.did(action, target, None, REFUSED), wrong)
        user, stored = found
        refusal = actor.did(action, target, user.customer_id, REFUSED)
        if not self._hashing.matches(stored, password):
            raise self._refused(refusal, wrong)
        # Said only to whom knows the password: it tells nothing to a guesser.
        if not user.enabled:
            raise self._refused(refusal, DISABLED)
        return user, stored

    def _refused(self, entry: AuditEntry, message: str) -> SignInRefused:
        self._audit.record(entry)
        return SignInRefused(message)

    @staticmethod
    def _role(role: str, customer: str | None) -> UserRole:
        try:
            chosen = UserRole(role)
        except ValueError:
            raise InvalidDocument(
                f"Invalid role {role!r}: use {UserRole.OPERATOR} or {UserRole.MEMBER}."
            ) from None
        if chosen is UserRole.OPERATOR and customer is not None:
            raise InvalidDocument(
                "An operator sees every customer and belongs to none: leave out the customer, "
                "or make the user a member."
            )
        if chosen is UserRole.MEMBER and customer is None:
            raise InvalidDocument("A member belongs to one customer: name it.")
        return chosen

    @staticmethod
    def _password_to_set(password: str | None) -> tuple[str, bool]:
        """The password to hash, and whether it is one-time: chosen here when none is given."""
        if password is None:
            return new_one_time_password(), True
        problem = password_problem(password)
        if problem is not None:
            raise InvalidDocument(f"Invalid password: {problem}.")
        return password, False
