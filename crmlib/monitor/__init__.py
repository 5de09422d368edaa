"""Stage 5, monitoring and evaluation: the KPI catalogue, targets and status, trends and anomalies, and campaign
results against their control groups.

>>> from crmlib.monitor import KPIS
>>> KPIS["nps"].department, KPIS["churn_rate"].better
('customer', 'down')
"""

from crmlib.lazy import lazy_namespace

__getattr__, __all__ = lazy_namespace(
    __name__,
    {
        "kpis": ["DEPARTMENTS", "KPI", "KPIS"],
        "options": ["MonitorOptions", "Target"],
        "stage": ["Monitoring", "monitoring"],
    },
)
