"""The security tier: a real Temporal dev server, the real workflows and adapters (SQLite store,
aiosmtpd), attacked with a raw Temporal client as anyone who can reach the endpoint could."""

from tests.activities.conftest import contacts_file, mail_server
from tests.faults.conftest import dev_client

__all__ = ["contacts_file", "dev_client", "mail_server"]
