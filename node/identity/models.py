"""Our own key pairs: RSA for HTTP signatures, Ed25519 Multikeys for object proofs (FEP-8b32)."""

from __future__ import annotations

from tortoise import fields

from federation.store.base import Model  # tortoise's, without reading our source (see there)

class ActorKey(Model):
    """A key pair of one of our local actors (the agency, the instance actor). Generated once, kept forever."""

    id = fields.IntField(primary_key=True)
    actor = fields.CharField(max_length=64, unique=True)  # local username, e.g. "baku" or "instance"
    private_key_pem = fields.TextField()
    public_key_pem = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "actor_key"


class ProofKey(Model):
    """A key of one of our local actors, current or retired.

    Ed25519 keys sign object proofs and are published as Multikeys in the actor's ``assertionMethod``; a retired
    one stays listed with ``expires`` so proofs made before its retirement still verify. Retired RSA keys are
    kept for the record (HTTP signatures are checked on receipt, so nobody needs them afterwards); the current
    RSA key lives in ``ActorKey``.
    """

    id = fields.IntField(primary_key=True)
    actor = fields.CharField(max_length=64, db_index=True)  # local username
    kind = fields.CharField(max_length=16)  # ed25519 | rsa
    key_id = fields.CharField(max_length=512, unique=True)
    private_key_pem = fields.TextField(null=True)
    public_key = fields.TextField()  # publicKeyMultibase (ed25519) or SubjectPublicKeyInfo PEM (rsa)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)  # null: the current key of its kind

    class Meta:
        table = "proof_key"


# Listed so that tortoise registers exactly these models in this module's app.
__models__ = [ActorKey, ProofKey]
