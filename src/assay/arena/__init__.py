"""Live arena: blind battles between configured models, vote rules and anti-abuse."""

from assay.arena.config import ArenaConfig
from assay.arena.service import ArenaService, BattleNotFound, VoteRefused

__all__ = ["ArenaConfig", "ArenaService", "BattleNotFound", "VoteRefused"]
