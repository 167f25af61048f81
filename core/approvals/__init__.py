"""Four eyes on large manual adjustments: what one librarian asks, another approves or rejects.

Offers ``request_adjustment``, ``approve``, ``reject`` and ``pending`` (service functions, the
session passed in, never committing) and the librarians' page ``/admin/approvals`` (``views``).
"""

from core.approvals.service import ApprovalError, approve, pending, reject, request_adjustment

__all__ = ["ApprovalError", "approve", "pending", "reject", "request_adjustment"]
