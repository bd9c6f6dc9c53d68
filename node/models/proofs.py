"""Stored proof material: our actors' signing keys over time, and the proof verdict of each wire story."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


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


class WireProof(Model):
    """How a wire story's object integrity proof checked out when it arrived (or was last re-checked).

    ``signed_object`` is the object exactly as the origin signed it (before sanitizing), so that it can be
    re-verified and forwarded unaltered. ``status``: verified | unsigned | invalid | unknown-key.
    """

    id = fields.IntField(primary_key=True)
    story: fields.OneToOneRelation = fields.OneToOneField(
        "models.WireStory", related_name="proof", on_delete=fields.CASCADE)
    status = fields.CharField(max_length=16, db_index=True)
    code = fields.CharField(max_length=32, default="")
    reason = fields.CharField(max_length=300, default="")
    key_id = fields.CharField(max_length=512, default="")
    origin = fields.CharField(max_length=512, default="")  # the actor whose key the proof was checked against
    via = fields.CharField(max_length=512, default="")  # who handed us this copy (the origin, or a forwarder)
    signed_object = fields.JSONField(null=True)
    checked_at = fields.DatetimeField()

    class Meta:
        table = "wire_proof"
