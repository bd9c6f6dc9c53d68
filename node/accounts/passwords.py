"""Password hashing with argon2id (argon2-cffi), always off the event loop: one hash costs tens to hundreds of
milliseconds of CPU by design (about 280 ms at the defaults here), which would stall every other request if run
inline. Hashes run in a pool of their own, two at a time: a burst of logins then costs at most two hashes'
memory (2 x 64 MiB by default) and queues, instead of taking the threads that media probing and signing share."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Mapping

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["MIN_LENGTH", "Hasher", "hasher_for"]

MIN_LENGTH = 10
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")
MAX_LENGTH = 1024  # argon2 takes any length; a cap keeps a megabyte "password" from costing anything extra


@dataclass(frozen=True)
class Hasher:
    """argon2id with the node's cost settings ([accounts] password_time_cost, password_memory_kib)."""

    time_cost: int = 3
    memory_kib: int = 65536

    @property
    def _ph(self) -> PasswordHasher:
        return PasswordHasher(time_cost=self.time_cost, memory_cost=self.memory_kib, parallelism=1)

    async def hash(self, password: str) -> str:
        """The PHC string of `password` (salted)."""
        return await asyncio.get_running_loop().run_in_executor(_POOL, self._ph.hash, password)

    async def verify(self, stored: str, password: str) -> tuple[bool, bool]:
        """(matches, needs rehash): a hash made with other parameters should be redone now that the password is
        known. A malformed stored hash never matches."""
        return await asyncio.get_running_loop().run_in_executor(_POOL, self._verify, stored, password)

    def _verify(self, stored: str, password: str) -> tuple[bool, bool]:
        ph = self._ph
        try:
            ph.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False, False
        return True, ph.check_needs_rehash(stored)

    async def waste(self, password: str) -> None:
        """Spend the time of one verification (an unknown username must not answer faster than a known one)."""
        await asyncio.get_running_loop().run_in_executor(_POOL, self._waste, password)

    def _waste(self, password: str) -> None:
        self._verify(_DUMMY.get(self, "") or self._dummy(), password)

    def _dummy(self) -> str:
        _DUMMY[self] = self._ph.hash("not-a-password-of-anyone")
        return _DUMMY[self]


_DUMMY: dict[Hasher, str] = {}


def hasher_for(accounts: Mapping[str, Any]) -> Hasher:
    """The hasher the [accounts] config section asks for."""
    return Hasher(time_cost=int(accounts.get("password_time_cost", 3)),
                  memory_kib=int(accounts.get("password_memory_kib", 65536)))
