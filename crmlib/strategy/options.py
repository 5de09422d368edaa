"""The `strategy:` section of the parameters: the playbook, channels and their costs, the budget, value tiers,
goals, and where the target lists go.

The playbook maps customers to campaign types by rules; each rule names its campaign type, its priority (a
customer eligible for several gets the campaign with the lowest number), the channels in order of preference, the
offer and message theme, the control share held out, the frequency cap and cool-down, and optionally the
segments, value tiers and churn-risk tiers it is limited to. Every name is checked: a rule naming an unknown
campaign type, channel, tier or risk is an error naming the key (unknown segments are checked against the
`segments:` rules by the parameters).

>>> StrategyOptions().rule("win_back").channels
['email', 'whatsapp', 'sms']
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crmlib.catalogue import t

CampaignType = Literal[
    "welcome",
    "cart_abandonment",
    "win_back",
    "birthday",
    "loyalty_vip",
    "cross_sell",
    "detractor_recovery",
    "referral_ask",
]
Channel = Literal["email", "whatsapp", "push", "sms"]
Tier = Literal["top", "high", "rest"]
Risk = Literal["high", "medium", "low"]
EmailFormat = Literal["mailchimp", "hubspot"]
EMAIL_FORMATS: tuple[EmailFormat, ...] = ("mailchimp", "hubspot")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Rule(_Section):
    """One play: who gets which campaign, through which channel, with what offer."""

    campaign: CampaignType
    priority: int = Field(ge=1)
    """Lower first: a customer eligible for several campaigns gets the one with the lowest priority."""
    channels: list[Channel] = Field(min_length=1)
    """In order of preference; the first one the customer consented to (and engages with) is used."""
    offer: str | None = None
    """What the customer is offered, e.g. "Diskon 15% untuk pembelian berikutnya"; None: the catalogue's offer of the
    campaign type in the report language."""
    theme: str | None = None
    """The message theme, for the value proposition of the target group; None: the catalogue's."""
    control_share: float = Field(0.1, ge=0.0, le=0.5)
    """The share of the audience held out at random as the control group."""
    cap: int = Field(1, ge=1)
    """At most this many contacts of this campaign per customer within `cooldown_days`."""
    cooldown_days: int = Field(60, ge=0)
    """Days before the same customer may get this campaign again (after `cap` contacts)."""
    expected_uplift: float = Field(0.05, ge=-1.0, le=1.0)
    """The extra purchases per contact assumed while there is no history to learn the uplift from."""
    discount: float = Field(0.0, ge=0.0, lt=1.0)
    """The share of the order value the offer gives back, on every purchase of a treated customer in the period
    (those it causes and those they would have made anyway)."""
    fixed_cost: float = Field(0.0, ge=0.0)
    """The campaign's own cost (creative work, set-up), whatever its audience."""
    segments: list[str] | None = None
    """Only customers of these segments (None: any)."""
    tiers: list[Tier] | None = None
    """Only customers of these value tiers (None: any)."""
    churn_risk: list[Risk] | None = None
    """Only customers at these churn risks (None: any)."""
    min_days: int = Field(0, ge=0)
    """welcome: signed up at least this many days ago without a purchase."""
    max_days: int = Field(90, ge=1)
    """How recent the trigger must be, in days before the period's end: the signup (welcome), the abandoned cart,
    the NPS answer or open ticket (detractor_recovery, referral_ask)."""
    hours: int = Field(24, ge=1)
    """cart_abandonment: a cart counts as abandoned when no order follows within this many hours."""

    def offer_text(self) -> str:
        """The offer: the playbook's own, else the catalogue's for the campaign type."""
        return self.offer or t(f"offer.{self.campaign}")

    def theme_text(self) -> str:
        return self.theme or t(f"theme.{self.campaign}")


def default_playbook() -> list[Rule]:
    """The playbook shipped in params/default.yaml: the campaign types of the CRM lifecycle."""
    plays: list[tuple[str, int, list[str], dict[str, Any]]] = [  # campaign, priority, channels, then the rest
        ("detractor_recovery", 1, ["whatsapp", "email"], dict(max_days=90, cooldown_days=90, expected_uplift=0.04,
                                                              discount=0.10)),
        ("cart_abandonment", 2, ["push", "whatsapp", "email"], dict(hours=24, max_days=14, cooldown_days=14,
                                                                    expected_uplift=0.12, discount=0.05)),
        ("welcome", 3, ["email", "whatsapp"], dict(min_days=7, max_days=90, cooldown_days=365, expected_uplift=0.10,
                                                   discount=0.10)),
        ("win_back", 4, ["email", "whatsapp", "sms"], dict(tiers=["top", "high"], churn_risk=["high", "medium"],
                                                           cooldown_days=90, expected_uplift=0.05, discount=0.15)),
        ("loyalty_vip", 5, ["whatsapp", "email"], dict(tiers=["top"], churn_risk=["low"], cooldown_days=60,
                                                       expected_uplift=0.04, discount=0.05)),
        ("birthday", 6, ["whatsapp", "email"], dict(cooldown_days=300, expected_uplift=0.06, discount=0.10)),
        ("referral_ask", 7, ["email", "whatsapp"], dict(max_days=90, cooldown_days=120, expected_uplift=0.01)),
        ("cross_sell", 8, ["email", "push"], dict(churn_risk=["low", "medium"], cooldown_days=45,
                                                  expected_uplift=0.04, discount=0.10)),
    ]  # fmt: skip
    return [Rule.model_validate({"campaign": c, "priority": p, "channels": ch, **rest}) for c, p, ch, rest in plays]


class ChannelOptions(_Section):
    """A channel's cost per message, in the business currency."""

    cost: float = Field(ge=0.0)


def default_channels() -> dict[Channel, ChannelOptions]:
    return {
        "email": ChannelOptions(cost=150.0),
        "whatsapp": ChannelOptions(cost=450.0),
        "push": ChannelOptions(cost=20.0),
        "sms": ChannelOptions(cost=350.0),
    }


class TierOptions(_Section):
    """Value tiers by lifetime value: the top share, the next share, the rest; and what each is offered."""

    top: float = Field(0.01, gt=0.0, lt=1.0)
    high: float = Field(0.19, gt=0.0, lt=1.0)
    propositions: dict[Tier, str] = Field(default_factory=dict)
    """The value proposition of a tier, where it differs from the catalogue's (`proposition.<tier>`)."""

    def proposition(self, tier: str) -> str:
        return self.propositions.get(tier) or t(f"proposition.{tier}")  # type: ignore[call-overload]

    @model_validator(mode="after")
    def _shares(self) -> TierOptions:
        if self.top + self.high >= 1:
            raise ValueError(t("error.strategy.tiers", top=self.top, high=self.high))
        return self


class Goal(_Section):
    """A business goal, e.g. revenue +10% over the next 12 months."""

    kpi: Literal["revenue"] = "revenue"
    change: float = Field(0.10, gt=-1.0)
    """The change asked for, against the models' forecast without it (0.10: +10%)."""
    months: int = Field(12, ge=1, le=60)


class StrategyOptions(_Section):
    """The `strategy:` section."""

    playbook: list[Rule] = Field(default_factory=default_playbook, min_length=1)
    channels: dict[Channel, ChannelOptions] = Field(default_factory=default_channels)
    budget: float | None = Field(None, ge=0.0)
    """The most the period's campaigns may cost (contacts times channel cost); None: no cap."""
    tiers: TierOptions = TierOptions()
    goals: list[Goal] = Field(default_factory=lambda: [Goal()])
    min_support: int = Field(20, ge=1)
    """Next-best category: a pair of categories counts when at least this many customers bought both."""
    recommendations: int = Field(3, ge=1, le=10)
    """Next-best category: how many categories to recommend (hit rate at k)."""
    min_campaigns: int = Field(3, ge=1)
    """Uplift targeting: past campaigns of a type (with control groups) needed before the model ranks its audience."""
    phone_region: str = Field("ID", pattern=r"^[A-Z]{2}$")
    """The country of phone numbers written without a country code (0812…), for E.164 (+62812…)."""
    email_formats: list[EmailFormat] = Field(default_factory=lambda: list(EMAIL_FORMATS))
    """The e-mail tools whose import columns the e-mail lists are written in (one file each)."""
    lists_dir: str = "data/lists"
    """Where the target lists go: one folder per period. They hold personal data: never inside reports_dir."""

    @model_validator(mode="after")
    def _one_rule_per_campaign(self) -> StrategyOptions:
        seen: set[str] = set()
        for rule in self.playbook:
            if rule.campaign in seen:
                raise ValueError(t("error.strategy.twice", campaign=rule.campaign))
            seen.add(rule.campaign)
            missing = [c for c in rule.channels if c not in self.channels]
            if missing:
                raise ValueError(t("error.strategy.channel_cost", campaign=rule.campaign, channel=missing[0]))
        return self

    def rule(self, campaign: str) -> Rule:
        """The playbook's rule of a campaign type."""
        return next(r for r in self.playbook if r.campaign == campaign)
