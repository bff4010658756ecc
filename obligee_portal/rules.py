"""Rules about what an obligee (発注者) can do in its own pages."""

import datetime

from core.kinds import GuaranteeKind
from obligees.models import Obligee


def receives_electronic(obligee: Obligee, today: datetime.date) -> bool:
    """Whether the obligee is registered to receive electronic guarantees (電子保証) of any kind
    today. One that is not has nothing to receive with a key: no certificate is issued to it
    electronically, so its pages offer no receiving forms."""
    return any(obligee.accepts_electronic(kind, today) for kind in GuaranteeKind.values)
