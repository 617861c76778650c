"""Arena settings: which models fight, how long answers may be, and the abuse limits."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from assay.core.errors import ConfigError

DEFAULT_PROMPTS = (
    "Explain in two sentences why the sky is blue.",
    "Write a haiku about autumn rain.",
    "What is 17 times 23? Show your working.",
    "Give three tips for writing clear emails.",
    "Translate 'good morning, friends' into French.",
)


@dataclass(frozen=True)
class ArenaConfig:
    models: tuple[str, ...] = ()
    max_tokens: int = 256
    battle_limit: str = "10/minute"  # new battles per session
    battle_limit_ip: str = "30/minute"  # new battles per IP prefix (/24 for IPv4, /48 for IPv6)
    vote_limit: str = "30/minute"
    vote_limit_ip: str = "120/minute"
    trusted_proxies: tuple[str, ...] = ()  # networks whose X-Forwarded-For we believe
    prompts: tuple[str, ...] = DEFAULT_PROMPTS
    max_prompt_chars: int = 4000
    answer_timeout_s: float = 600.0  # a stream waiting for an answer gives up after this
    model_args: dict[str, dict[str, object]] = field(default_factory=dict)  # per model name

    def __post_init__(self) -> None:
        for net in self.trusted_proxies:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ConfigError(f"trusted proxy {net!r} is not an IP address or network") from None
