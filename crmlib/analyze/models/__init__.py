"""The buy-till-you-die likelihoods, one module per model, in the papers' notation (x, t_x, T), each with its
predictions; `mle` maximises any of them. Every function takes numpy arrays of distinct patterns and a parameter
vector in the order of the family's `names`.

- `bgnbd`: BG/NBD (Fader, Hardie & Lee 2005), and its limit when every customer has the same drop-out probability;
- `mbgnbd`: MBG/NBD (Batislam, Denizel & Filiztekin 2007), which may drop a customer right after the first purchase;
- `pnbd`: Pareto/NBD (Schmittlein, Morrison & Colombo 1987; Fader & Hardie's 2005 note on its derivation);
- `gamma_gamma`: the Gamma-Gamma spend model (Fader & Hardie 2013).
"""

from crmlib.analyze.models import bgnbd, mbgnbd, pnbd
from crmlib.analyze.models.family import Family

PURCHASE_FAMILIES: dict[str, Family] = {m.FAMILY.name: m.FAMILY for m in (bgnbd, pnbd, mbgnbd)}
"""The purchase models by name; each with its common-drop-out limit, where it has one (`Family.limit`)."""

__all__ = ["PURCHASE_FAMILIES", "Family"]
