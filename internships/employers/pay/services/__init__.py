"""The pay area's services: terms and dues (``terms``), payments and disputes
(``payments``), overdue notices, their clearing and the publishing block (``overdue``),
figures read in bulk (``figures``: ``payments_due``, ``compliance_by_employer``)."""

from __future__ import annotations

from .figures import PayCompliance as PayCompliance
from .figures import PaymentDue as PaymentDue
from .figures import compliance_by_employer as compliance_by_employer
from .figures import payments_due as payments_due
