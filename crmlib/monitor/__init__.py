"""Stage 5, monitoring and evaluation: the KPI catalogue, targets and status, trends and anomalies, and campaign
results against their control groups.

>>> from crmlib.monitor import KPIS
>>> KPIS["nps"].department, KPIS["churn_rate"].better
('customer', 'down')
"""

from crmlib.monitor.kpis import DEPARTMENTS, KPI, KPIS
from crmlib.monitor.options import MonitorOptions, Target
from crmlib.monitor.stage import Monitoring, monitoring

__all__ = ["DEPARTMENTS", "KPI", "KPIS", "MonitorOptions", "Monitoring", "Target", "monitoring"]
