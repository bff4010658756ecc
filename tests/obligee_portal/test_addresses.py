"""The obligee's pages keep their addresses under their own namespace: the handover notice and
the e-mails print /obligee/receive/ and the certificate links."""

import pytest
from django.urls import resolve, reverse


@pytest.mark.parametrize(
    ("name", "args", "path"),
    [
        ("obligee_portal:home", [], "/obligee/"),
        ("obligee_portal:received_csv", [], "/obligee/received.csv"),
        ("obligee_portal:certificate", [7], "/obligee/certificates/7/"),
        ("obligee_portal:certificate_pdf", [7], "/obligee/certificates/7.pdf"),
        ("obligee_portal:receive", [], "/obligee/receive/"),
        ("obligee_portal:receive_notices", [], "/obligee/receive/notices/"),
    ],
)
def test_each_page_keeps_its_address(name, args, path):
    assert reverse(name, args=args) == path
    assert resolve(path).view_name == name
