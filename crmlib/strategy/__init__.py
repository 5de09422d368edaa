"""Stage 4, strategy and implementation: next period's campaign plan from the playbook, target lists that respect
consent, next-best categories, uplift targeting from past control groups, budget, goals and the value portfolio.

>>> from crmlib.strategy import StrategyOptions
>>> [rule.campaign for rule in StrategyOptions().playbook][:3]
['detractor_recovery', 'cart_abandonment', 'welcome']
"""

from crmlib.strategy.nextbest import CoPurchases, hit_rate
from crmlib.strategy.options import Goal, Rule, StrategyOptions
from crmlib.strategy.stage import Strategy, strategy
from crmlib.strategy.uplift import UpliftModel, qini_curve

__all__ = ["CoPurchases", "Goal", "Rule", "Strategy", "StrategyOptions", "UpliftModel", "hit_rate", "qini_curve",
           "strategy"]  # fmt: skip
