"""terminal provision firstboot against the reference central: a seeded image's boot files (extracted with
mtools) and a folder standing in for the root file system; applied once, all or nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess

import pytest

from images.fat_mtools import FatVolume
from images.firstboot import firstboot
from images.provision import RESULT_NAME, SEED_NAME, STATUS_NAME, WIFI_NAME
from images.provision_image import fat_partition
from images.provision_seed import write_seed
from images.provision_state import status, write_status
from terminal.schema import load_config

pytestmark = pytest.mark.skipif(shutil.which("sfdisk") is None or shutil.which("mcopy") is None,
                                reason="needs fdisk, dosfstools, mtools and e2fsprogs (apt-packages.txt)")

STATE = "/var/lib/service-terminals"


@pytest.fixture
def central(tmp_path):
    """The reference central service (sqlite) on a free loopback port, as tests/central/conftest.py runs it."""
    from sync.central.app import create_app
    from sync.central.storage import open_storage
    from tests.central.conftest import RunningCentral

    storage = open_storage(str(tmp_path / "central.db"))
    c = RunningCentral(create_app(storage), storage)
    yield c
    c.stop()
    storage.close()


@pytest.fixture(scope="module")
def blank(tmp_path_factory):
    from images.provision_diskimage import build_disk_image

    base = tmp_path_factory.mktemp("fb")
    root = base / "root"
    for unit in ("terminal-kiosk.service", "terminal-dropbox.service", "terminal-sync.service"):
        (root / "lib/systemd/system").mkdir(parents=True, exist_ok=True)
        (root / "lib/systemd/system" / unit).write_text("[Service]\nExecStart=/bin/true\n")
    (root / "etc").mkdir()
    (root / "etc/hosts").write_text("127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n")
    (root / "etc/hostname").write_text("raspberrypi\n")
    return build_disk_image(base / "terminal.img", root_dir=root, boot_files={"config.txt": b"arm_64bit=1\n"})


class Card:
    """One seeded image, its boot partition extracted to ``boot`` and a root tree at ``root``."""

    def __init__(self, blank, folder):
        self.image = folder / "terminal.img"
        subprocess.run(["cp", "--sparse=always", str(blank), str(self.image)], check=True)
        self.boot, self.root = folder / "boot", folder / "root"
        subprocess.run(["mkdir", "-p", str(self.root)], check=True)
        shutil.copytree(blank.parent / "root", self.root, dirs_exist_ok=True, symlinks=True)
        self.state = self.root / STATE.lstrip("/")

    def seed(self, server, **values):
        token = values.pop("token", None) or server.storage.create_token(values.get("device_id", "KSK-SHA-0001"), 600)
        base = {"role": "kiosk", "site": "sha-hq", "device_id": "KSK-SHA-0001", "central": server.url,
                "enroll_token": token, "timezone": "Asia/Shanghai", "wifi_ssid": "SiteNet", "wifi_psk": "pass word 1"}
        write_seed(self.image, {**base, **values})
        with open(self.image, "rb") as fh:
            FatVolume(self.image, fat_partition(fh, "img")[0]).extract(self.boot)  # as the Pi mounts it

    def run(self, **options):
        return firstboot(self.boot, self.root, state_dir=STATE, **{"timeout_s": 0, **options})

    def result(self) -> str:
        return (self.boot / RESULT_NAME).read_bytes().decode("utf-8")


@pytest.fixture
def card(blank, tmp_path):
    return Card(blank, tmp_path)


def test_firstboot_applies_the_seed_enrols_and_removes_the_secrets(card, central):
    card.seed(central)
    outcome = card.run()
    assert (outcome.ok, outcome.code, outcome.headline) == (True, 0, "PROVISIONED")
    cfg = load_config(card.root / "etc/service-terminals/terminal.toml")
    assert (cfg.role, cfg.device_id, cfg.site, cfg.state_dir) == ("kiosk", "KSK-SHA-0001", "sha-hq", STATE)
    assert (card.root / "etc/hostname").read_text() == "ksk-sha-0001\n"
    assert "127.0.1.1\tksk-sha-0001" in (card.root / "etc/hosts").read_text()
    assert "raspberrypi" not in (card.root / "etc/hosts").read_text()
    assert os.readlink(card.root / "etc/localtime") == "/usr/share/zoneinfo/Asia/Shanghai"
    assert (card.root / "etc/timezone").read_text() == "Asia/Shanghai\n"
    keyfile = card.root / "etc/NetworkManager/system-connections" / WIFI_NAME
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600 and "psk=pass word 1" in keyfile.read_text()
    wants = card.root / "etc/systemd/system/multi-user.target.wants"
    assert sorted(os.listdir(wants)) == ["terminal-kiosk.service", "terminal-sync.service"]
    assert os.readlink(wants / "terminal-kiosk.service") == "/lib/systemd/system/terminal-kiosk.service"
    # The secrets are off the boot partition; the result says so, readable on any laptop.
    assert sorted(os.listdir(card.boot)) == ["config.txt", RESULT_NAME]
    result = card.result()
    assert "\r\nOutcome:   PROVISIONED\r\n" in result
    assert "KSK-SHA-0001 (kiosk) at site sha-hq" in result and "enrolled KSK-SHA-0001 with" in result
    assert "enr_" not in result and "pass word" not in result
    # Enrolled: the secret is in the terminal's store, and central knows the device.
    with sqlite3.connect(card.state / "terminal.db") as db:
        keys = dict(db.execute("SELECT key, value FROM sync_state").fetchall())
    assert json.loads(keys["device_id"]) == "KSK-SHA-0001" and keys["secret"]
    assert status(card.state) == (True, f"provisioned as KSK-SHA-0001 (kiosk) at site sha-hq, enrolled with {central.url}")
    assert not list(card.root.rglob("*.provision-new")) and not (card.state / ".provision-enroll.toml").exists()


def test_exactly_once_a_second_boot_changes_nothing(card, central):
    card.seed(central)
    card.run()
    config = (card.root / "etc/service-terminals/terminal.toml").read_bytes()
    outcome = card.run()
    assert outcome.ok and outcome.headline.startswith("nothing to provision")
    assert (card.root / "etc/service-terminals/terminal.toml").read_bytes() == config
    assert status(card.state)[0]


def test_the_same_seed_found_again_is_removed_not_applied_again(card, central):
    card.seed(central)
    seed = (card.boot / SEED_NAME).read_bytes()
    card.run()
    (card.boot / SEED_NAME).write_bytes(seed)  # its removal was lost (power cut right after the commit)
    outcome = card.run()
    assert outcome.ok and "applied already" in outcome.headline
    assert not (card.boot / SEED_NAME).exists() and status(card.state)[0]


def test_a_bad_seed_leaves_the_terminal_not_provisioned_and_unchanged(card, central):
    card.seed(central)
    text = (card.boot / SEED_NAME).read_text().replace('"KSK-SHA-0001"', '"K"')
    (card.boot / SEED_NAME).write_text(text)
    outcome = card.run()
    assert (outcome.ok, outcome.code) == (False, 2)
    assert not (card.root / "etc/service-terminals/terminal.toml").exists()
    assert (card.root / "etc/hostname").read_text() == "raspberrypi\n"
    assert not (card.root / "etc/NetworkManager").exists()   # not even Wi-Fi: nothing is applied from a bad seed
    assert (card.boot / WIFI_NAME).exists() and (card.boot / SEED_NAME).exists()
    ok, reason = status(card.state)
    assert not ok and f"{SEED_NAME}:" in reason and "device_id: 'K' does not match" in reason
    assert "NOT PROVISIONED (the seed is invalid)" in card.result() and "Fix terminal-provision.toml" in card.result()


def test_a_seed_in_another_encoding_is_named_with_file_line_and_fix(card, central):
    card.seed(central)
    text = (card.boot / SEED_NAME).read_text().replace('site = "sha-hq"', 'site = "z\u00fcrich"')
    (card.boot / SEED_NAME).write_bytes(text.encode("latin-1"))
    outcome = card.run()
    assert outcome.code == 2
    assert f"{SEED_NAME}:" in outcome.lines[0] and "not UTF-8 (byte 0xFC); save the file as UTF-8" in outcome.lines[0]


def test_a_seed_saved_with_a_bom_and_crlf_is_fine(card, central):
    card.seed(central)
    text = (card.boot / SEED_NAME).read_text()
    (card.boot / SEED_NAME).write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert card.run().ok


def test_a_partial_seed_names_each_missing_key(card, central):
    card.seed(central)
    (card.boot / SEED_NAME).write_text('role = "kiosk"\nsite = "sha-hq"\n')
    outcome = card.run()
    assert outcome.code == 2 and not status(card.state)[0]
    text = "\n".join(outcome.lines)
    for key in ("device_id", "central", "enroll_token"):
        assert f"{key}: missing required key" in text


def test_a_refused_token_is_removed_and_nothing_is_configured(card, central):
    card.seed(central, token="enr_" + "x" * 32)
    outcome = card.run()
    assert (outcome.ok, outcome.code) == (False, 1)
    assert "refused the enrolment token" in card.result()
    seed = (card.boot / SEED_NAME).read_text()
    assert "enroll_token" not in seed and 'device_id = "KSK-SHA-0001"' in seed
    assert not (card.root / "etc/service-terminals/terminal.toml").exists()
    assert (card.root / "etc/hostname").read_text() == "raspberrypi\n"
    assert not list(card.root.rglob("*.provision-new"))
    assert not status(card.state)[0]


def test_central_unreachable_keeps_the_seed_for_the_next_boot(card, central):
    import socket

    with socket.socket() as closed:  # bound, never listening: a connection is refused while we hold it
        closed.bind(("127.0.0.1", 0))
        card.seed(central, central=f"http://127.0.0.1:{closed.getsockname()[1]}")
        outcome = card.run()
    assert outcome.code == 1 and "cannot reach central" in outcome.lines[0]
    assert "enroll_token" in (card.boot / SEED_NAME).read_text()
    assert not (card.root / "etc/service-terminals/terminal.toml").exists()
    ok, reason = status(card.state)
    assert not ok and "tried again at the next boot" in reason


def test_reprovisioning_on_site_with_a_new_seed(card, central):
    card.seed(central)
    assert card.run().ok
    card.seed(central, role="dropbox", device_id="DBX-SHA-0002", wifi_ssid=None, wifi_psk=None, timezone=None)
    outcome = card.run()
    assert outcome.ok, outcome.lines
    cfg = load_config(card.root / "etc/service-terminals/terminal.toml")
    assert (cfg.role, cfg.device_id) == ("dropbox", "DBX-SHA-0002")
    wants = card.root / "etc/systemd/system/multi-user.target.wants"
    assert sorted(os.listdir(wants)) == ["terminal-dropbox.service", "terminal-sync.service"]
    assert (card.root / "etc/hostname").read_text() == "dbx-sha-0002\n"


def test_no_seed_on_a_fresh_image_reads_as_not_provisioned(card):
    card.boot.mkdir()
    outcome = card.run()
    assert outcome.ok and outcome.code == 0
    ok, reason = status(card.state)
    assert not ok and "there is no seed on the boot partition" in reason


def test_status_left_at_provisioning_or_unreadable_is_not_ok(tmp_path):
    write_status(tmp_path, "provisioning", "provisioning in progress")
    assert status(tmp_path) == (False, "not provisioned: provisioning did not finish (power lost?); "
                                       "it is retried at the next boot")
    (tmp_path / STATUS_NAME).write_text("{not json")
    ok, reason = status(tmp_path)
    assert not ok and "cannot be read" in reason


def test_cli_firstboot_json(card, central, run_cli):
    card.seed(central)
    code, out, err = run_cli("provision", "firstboot", "--boot", str(card.boot), "--root", str(card.root),
                             "--timeout", "0", "--json")
    assert code == 0, err
    assert json.loads(out)["outcome"] == "PROVISIONED"


def test_a_bad_new_seed_on_a_working_terminal_keeps_its_provisioning(card, central):
    card.seed(central)
    assert card.run().ok
    config = (card.root / "etc/service-terminals/terminal.toml").read_bytes()
    card.seed(central, role="dropbox", device_id="DBX-SHA-0009", token="enr_" + "y" * 32)  # a wrong token
    outcome = card.run()
    assert outcome.code == 1 and outcome.headline == "NOT APPLIED (provisioning failed)"
    assert "keeps its earlier provisioning (KSK-SHA-0001, kiosk)" in card.result()
    assert (card.root / "etc/service-terminals/terminal.toml").read_bytes() == config
    ok, reason = status(card.state)
    assert ok and "KSK-SHA-0001 (kiosk)" in reason
    from images.provision_state import read_status

    assert "refused the enrolment token" in read_status(card.state)["last_seed_error"]


def test_a_failed_seed_still_tells_which_role_should_show_the_screen(card, central):
    from images.provision_state import read_status

    card.seed(central, role="dropbox")
    (card.boot / SEED_NAME).write_text((card.boot / SEED_NAME).read_text().replace('site = "sha-hq"', 'site = ""'))
    assert card.run().code == 2
    assert read_status(card.state)["role"] == "dropbox" and read_status(card.state)["state"] == "not_provisioned"


def test_a_broken_wifi_keyfile_is_a_bad_seed_and_nothing_is_applied(card, central):
    card.seed(central)
    (card.boot / WIFI_NAME).write_text("[connection]\ntype=wifi\n\n[wifi]\nmode=infrastructure\n")
    outcome = card.run()
    assert outcome.code == 2 and "needs [connection] type=wifi and [wifi] ssid=NAME" in outcome.lines[0]
    assert not (card.root / "etc/NetworkManager").exists() and (card.boot / WIFI_NAME).exists()
    (card.boot / WIFI_NAME).write_text("ssid=no section\n")
    assert "not a NetworkManager keyfile" in card.run().lines[0]


def test_a_hand_written_seed_with_the_wifi_password_in_it(card, central):
    card.seed(central, wifi_ssid=None, wifi_psk=None)
    (card.boot / SEED_NAME).write_text((card.boot / SEED_NAME).read_text()
                                       + 'wifi_ssid = "Lobby"\nwifi_psk = "lobby pass 1"\n')
    assert card.run().ok
    keyfile = (card.root / "etc/NetworkManager/system-connections" / WIFI_NAME).read_text()
    assert "ssid=Lobby" in keyfile and "psk=lobby pass 1" in keyfile
    assert not (card.boot / SEED_NAME).exists()  # the password went with the seed


def test_a_wifi_password_in_the_seed_is_removed_even_when_enrolment_fails(card, central):
    card.seed(central, wifi_ssid=None, wifi_psk=None, token="enr_" + "z" * 32)
    (card.boot / SEED_NAME).write_text((card.boot / SEED_NAME).read_text()
                                       + 'wifi_ssid = "Lobby"\nwifi_psk = "lobby pass 1"\n')
    assert card.run().code == 1
    seed = (card.boot / SEED_NAME).read_text()
    assert "lobby pass" not in seed and "enroll_token" not in seed and 'wifi_ssid = "Lobby"' in seed
    # The next boot asks only for a new token: the Wi-Fi is already in NetworkManager.
    outcome = card.run()
    assert outcome.code == 2 and "enroll_token: missing required key" in "\n".join(outcome.lines)
    assert "wifi_psk" not in "\n".join(outcome.lines) and "Wi-Fi password" not in "\n".join(outcome.lines)
