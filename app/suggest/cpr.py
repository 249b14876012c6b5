"""Re-export of `app.cpr` under the names the suggestion code has always used.

The CPR recogniser lives in `app.cpr` (one module for the engine, logging, the UI and the access
log); import from there in new code. Never log what it finds.
"""

from __future__ import annotations

from app.cpr import CprHit, birth_date, neighbours
from app.cpr import find as find_cprs
from app.cpr import is_valid as is_plausible_cpr

__all__ = ["CprHit", "birth_date", "find_cprs", "is_plausible_cpr", "neighbours"]
