"""assay: evaluate, rank and audit AI foundation models.

`import assay` gives the whole Python API (see `assay.api`): `assay.evaluate(...)`,
`assay.results(...)` (a pandas DataFrame), `assay.leaderboard(...)`, `assay.report(...)`, ...
"""

from assay import plugins as _plugins  # noqa: F401  (installs the registry loader before any lookup)
from assay.api import *  # noqa: F403  (the API is the package's public surface)
from assay.api import __all__ as _api_names

__version__ = "0.1.0"
__all__ = [*_api_names, "__version__"]
