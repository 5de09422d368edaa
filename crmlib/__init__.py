"""crmlib: the tested logic behind the CRM Analytics Suite's notebooks and reports."""

import warnings

__version__ = "0.1.0"

# With pyspark installed (the Spark engine), pandera imports pyspark's pandas API, and pyspark 4 warns on every
# import that it does not support pandas 3 yet. crmlib validates pandas frames only and brings Spark results back
# with `toPandas`, which its tests check; the warning would only clutter every command's output.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
