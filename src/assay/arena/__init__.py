"""Arena battles: battle files (`battle_files`), the ratings pipeline (`ratings`, pure: battles in,
rating tables out, results in `rating_results`), and the live arena (blind battles between configured
models, vote rules, anti-abuse). The package exports the live arena; the rest loads on use (pandas)."""

from assay.arena.config import ArenaConfig
from assay.arena.service import ArenaService, BattleNotFound, VoteRefused

__all__ = ["ArenaConfig", "ArenaService", "BattleNotFound", "VoteRefused"]
