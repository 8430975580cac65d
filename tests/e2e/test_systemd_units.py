"""The systemd units in dist/ pass `systemd-analyze verify` (with ExecStart
pointing at this build): the plain unit, the template for a hypervisor
switch instance, and a VIOS instance with the drop-in that orders it after
the hypervisor switch. Skipped where systemd-analyze is missing."""
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from vswitch_lab.daemon import VSWITCHD

DIST = os.path.join(os.path.dirname(__file__), "..", "..", "dist")
DROP_IN = os.path.join("vswitchd@vios.service.d", "after-hypervisor.conf")


def test_units_verify_and_order_a_vios_after_the_hypervisor_switch(workdir):
    if not shutil.which("systemd-analyze"):
        pytest.skip("no systemd-analyze")
    units = tempfile.mkdtemp(dir=workdir)
    for name in ("vswitchd.service", "vswitchd@.service"):
        with open(os.path.join(DIST, name)) as f:
            text = f.read()
        assert "ExecStart=/usr/local/bin/vswitchd " in text
        with open(os.path.join(units, name), "w") as f:
            f.write(text.replace("/usr/local/bin/vswitchd", VSWITCHD))
    os.mkdir(os.path.join(units, os.path.dirname(DROP_IN)))
    shutil.copy(os.path.join(DIST, DROP_IN), os.path.join(units, DROP_IN))
    for unit in ("vswitchd.service", "vswitchd@hyp.service", "vswitchd@vios.service"):
        r = subprocess.run(["systemd-analyze", "verify", os.path.join(units, unit)],
                           capture_output=True, text=True, cwd=units, timeout=60)
        # Unknown keys and bad values are warnings with exit 0: none wanted.
        assert r.returncode == 0 and not r.stderr.strip() and not r.stdout.strip(), \
            (unit, r.stdout, r.stderr)
    with open(os.path.join(units, DROP_IN)) as f:
        order = f.read()
    assert re.search(r"^After=vswitchd@hyp\.service$", order, re.M)
    assert re.search(r"^Wants=vswitchd@hyp\.service$", order, re.M)
    for name in ("vswitchd.service", "vswitchd@.service"):
        with open(os.path.join(units, name)) as f:
            assert re.search(r"^Restart=on-failure$", f.read(), re.M), name
