"""Editors' accounts: users, their login sessions and API tokens, and the audit trail of who changed what."""

from __future__ import annotations

from tortoise import fields

from federation.store.base import Model  # tortoise's, without reading our source (see there)

__all__ = ["ApiToken", "AuditEvent", "LoginSession", "User"]


class User(Model):
    """A person who works the desk, with one role of `node.accounts.roles.ROLES`.

    A disabled user cannot log in, and their sessions and tokens are refused."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    password_hash = fields.CharField(max_length=255)  # argon2id PHC string; never the password
    role = fields.CharField(max_length=16)
    disabled = fields.BooleanField(default=False)
    failed_logins = fields.IntField(default=0)  # wrong passwords in a row, reset by a right one
    locked_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    last_login_at = fields.DatetimeField(null=True)
    # The desk's language for this user (a tag of node.desk.i18n.DESK_LOCALES); empty: the browser's (0012).
    locale = fields.CharField(max_length=16, default="", db_default="")

    class Meta:
        table = "account_user"


class LoginSession(Model):
    """A browser's login, stored by the SHA-256 of its cookie, with the CSRF token bound to it.

    The cookie holds a random id and the row only its hash: a stolen database opens no session."""

    id = fields.IntField(primary_key=True)
    id_sha256 = fields.CharField(max_length=64, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE, db_index=True)
    csrf_token = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)  # the hard end (session_max_days after login)

    class Meta:
        table = "account_session"


class ApiToken(Model):
    """A user's bearer token for the editor API, stored as its SHA-256 and shown once when made."""

    id = fields.IntField(primary_key=True)
    token_sha256 = fields.CharField(max_length=64, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="tokens", on_delete=fields.CASCADE, db_index=True)
    name = fields.CharField(max_length=100, default="")
    created_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account_token"


class AuditEvent(Model):
    """One change and who made it (a username, or "node" for the node token and the CLI)."""

    id = fields.IntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    actor = fields.CharField(max_length=64, db_index=True)
    role = fields.CharField(max_length=16)
    via = fields.CharField(max_length=16)  # node-token | token | session | cli
    action = fields.CharField(max_length=64)  # e.g. story.publish, translation.approve, follower.approve
    subject = fields.CharField(max_length=1024, default="")  # what it acted on: a story uuid, an actor URI...
    method = fields.CharField(max_length=8, default="")
    path = fields.CharField(max_length=1024, default="")

    class Meta:
        table = "account_audit"


__models__ = [User, LoginSession, ApiToken, AuditEvent]
