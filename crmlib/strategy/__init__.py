"""Stage 4, strategy and implementation: next period's campaign plan from the playbook, target lists that respect
consent, next-best categories, uplift targeting from past control groups, budget, goals and the value portfolio.

>>> from crmlib.strategy import StrategyOptions
>>> [rule.campaign for rule in StrategyOptions().playbook][:3]
['detractor_recovery', 'cart_abandonment', 'welcome']
"""

from crmlib.lazy import lazy_namespace

__getattr__, __all__ = lazy_namespace(
    __name__,
    {
        "nextbest": ["CoPurchases", "hit_rate"],
        "options": ["Goal", "Rule", "StrategyOptions"],
        "stage": ["Strategy", "strategy"],
        "uplift": ["UpliftModel", "qini_curve"],
    },
)
