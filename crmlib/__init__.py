"""crmlib: the tested logic behind the CRM Analytics Suite's notebooks and reports."""

__version__ = "0.1.0"
