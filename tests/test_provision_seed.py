"""terminal provision seed: every value checked, then written into the image's FAT boot partition by mtools."""

from __future__ import annotations

import configparser
import shutil
import subprocess

import pytest

from images.fat_mtools import FatVolume
from images.provision import RESULT_NAME, SEED_NAME, WIFI_NAME, ProvisionError
from images.provision_image import fat_partition
from images.provision_seed import SeedInvalid, parse_seed, render_seed, write_seed

pytestmark = pytest.mark.skipif(shutil.which("sfdisk") is None or shutil.which("mcopy") is None,
                                reason="needs fdisk, dosfstools, mtools and e2fsprogs (apt-packages.txt)")

TOKEN = "enr_" + "Ab3-_" * 6
GOOD = {"role": "kiosk", "site": "sha-hq", "device_id": "KSK-SHA-0001", "central": "https://central.example:8740",
        "enroll_token": TOKEN, "timezone": "Asia/Shanghai", "wifi_ssid": "Site Net 5G", "wifi_psk": "pass word #1"}


@pytest.fixture(scope="module")
def blank(tmp_path_factory):
    from images.provision_diskimage import build_disk_image

    base = tmp_path_factory.mktemp("seed")
    (base / "root" / "etc").mkdir(parents=True)
    return build_disk_image(base / "terminal.img", root_dir=base / "root",
                            boot_files={"config.txt": b"arm_64bit=1\n"})


@pytest.fixture
def image(blank, tmp_path):
    copy = tmp_path / "terminal.img"
    subprocess.run(["cp", "--sparse=always", str(blank), str(copy)], check=True)
    return copy


def _volume(image):
    with open(image, "rb") as fh:
        return FatVolume(image, fat_partition(fh, str(image))[0])


def test_a_good_seed_lands_in_the_boot_partition_and_reads_back(image):
    done = write_seed(image, GOOD)
    assert done.files == [WIFI_NAME, SEED_NAME] and done.offset == 1024 * 1024
    volume = _volume(image)
    assert volume.names() == ["config.txt", SEED_NAME, WIFI_NAME]
    seed = parse_seed(volume.read(SEED_NAME).decode(), "seed", keyfile=True)
    assert (seed.role, seed.site, seed.device_id, seed.central, seed.enroll_token, seed.timezone, seed.wifi_ssid) \
        == ("kiosk", "sha-hq", "KSK-SHA-0001", "https://central.example:8740", TOKEN, "Asia/Shanghai", "Site Net 5G")
    assert b"pass word" not in volume.read(SEED_NAME)  # the password is only in the keyfile
    keyfile = configparser.ConfigParser(interpolation=None)
    keyfile.read_string(volume.read(WIFI_NAME).decode())
    assert keyfile["wifi"]["ssid"] == "Site Net 5G" and keyfile["wifi-security"]["psk"] == "pass word #1"
    assert keyfile["connection"]["type"] == "wifi"
    assert volume.read("config.txt") == b"arm_64bit=1\n"  # the firmware's files are untouched


def test_seeding_again_without_wifi_removes_the_old_keyfile_and_result(image):
    write_seed(image, GOOD)
    _volume(image).write(RESULT_NAME, b"old result")
    write_seed(image, {**GOOD, "wifi_ssid": None, "wifi_psk": None, "role": "dropbox"})
    volume = _volume(image)
    assert volume.names() == ["config.txt", SEED_NAME]
    assert parse_seed(volume.read(SEED_NAME).decode()).role == "dropbox"


@pytest.mark.parametrize("key,value,says", [
    ("role", "printer", "--role: 'printer' is not one of 'kiosk' | 'dropbox'"),
    ("device_id", "K", "--device-id: 'K' does not match the form"),
    ("device_id", "KSK SHA 1", "--device-id: 'KSK SHA 1' does not match"),
    ("site", "-hq", "--site: '-hq' does not match"),
    ("central", "central.example:8740", "--central: 'central.example:8740' is not a URL such as"),
    ("central", "ftp://central", "--central: 'ftp://central' is not a URL"),
    ("central", "https://central:99999", "--central: port 99999 is not 1-65535"),
    ("enroll_token", "secret", "--enroll-token: 'secret' is not a token as 'terminal central token' prints it"),
    ("timezone", "Asia/Shangai", "--timezone: 'Asia/Shangai' is not a known time zone; did you mean 'Asia/Shanghai'?"),
    ("timezone", "Mars/Olympus", "--timezone: 'Mars/Olympus' is not a known time zone"),
    ("wifi_psk", "short", "--wifi-psk: a WPA password has 8 to 63 characters"),
    ("wifi_psk", "x" * 64, "--wifi-psk: a WPA password has 8 to 63"),  # 64 characters only as hex
    ("wifi_ssid", "名" * 11, "--wifi-ssid: '" + "名" * 11 + "' is 33 bytes long"),
    ("wifi_ssid", "tab\there", "--wifi-ssid: 'tab\\there' does not match"),
    ("wifi_psk", "pässwörd1", "--wifi-psk: 'pässwörd1' does not match"),
])
def test_each_bad_value_is_named_by_its_option_and_nothing_is_written(image, key, value, says):
    with pytest.raises(SeedInvalid) as caught:
        write_seed(image, {**GOOD, key: value})
    assert says in str(caught.value)
    assert caught.value.exit_code == 2
    assert _volume(image).names() == ["config.txt"]


def test_wifi_comes_as_a_pair():
    with pytest.raises(SeedInvalid, match="--wifi-psk: give the Wi-Fi password too"):
        render_seed({**GOOD, "wifi_psk": None})
    with pytest.raises(SeedInvalid, match="--wifi-ssid: give the Wi-Fi name"):
        render_seed({**GOOD, "wifi_ssid": None})
    hex_psk = "0123456789abcdef" * 4
    assert f"psk={hex_psk}" in render_seed({**GOOD, "wifi_psk": hex_psk})[1]


def test_keyfile_escapes_what_glib_would_strip():
    _, keyfile = render_seed({**GOOD, "wifi_ssid": " lobby ", "wifi_psk": "back\\slash "})
    assert "ssid=\\slobby\\s" in keyfile and "psk=back\\\\slash\\s" in keyfile


def test_missing_values_are_each_named():
    with pytest.raises(SeedInvalid) as caught:
        render_seed({"role": "kiosk"})
    text = str(caught.value)
    for option in ("--site", "--device-id", "--central", "--enroll-token"):
        assert option in text


def test_targets_that_are_not_terminal_images(tmp_path):
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello")
    with pytest.raises(ProvisionError, match="no partition table"):
        write_seed(text_file, GOOD)
    with pytest.raises(ProvisionError, match="No such file"):
        write_seed(tmp_path / "missing.img", GOOD)
    with pytest.raises(ProvisionError, match="neither an image file nor a disk"):
        write_seed(tmp_path, GOOD)


def test_hand_edited_seeds_bom_and_other_encodings(tmp_path):
    text, _ = render_seed({**GOOD, "wifi_ssid": None, "wifi_psk": None})
    assert parse_seed("\ufeff" + text).site == "sha-hq"
    from terminal.textfile import TextFileError, read_text

    latin = tmp_path / SEED_NAME
    latin.write_bytes(text.replace('site = "sha-hq"', 'site = "z\u00fcrich"').encode("latin-1"))
    with pytest.raises(TextFileError, match=r"terminal-provision.toml:[0-9]+:[0-9]+: not UTF-8 .*save the file as UTF-8"):
        read_text(latin)
    with pytest.raises(SeedInvalid, match=r"seed.toml:[0-9]+: device_id: 'K' does not match"):
        parse_seed(text.replace("KSK-SHA-0001", "K"), "seed.toml")


def test_cli_seed_says_what_it_wrote_and_refuses_bad_values_with_exit_2(run_cli, image):
    code, out, err = run_cli("provision", "seed", str(image), "--role", "dropbox", "--site", "sha-hq",
                             "--device-id", "DBX-SHA-0002", "--central", "http://127.0.0.1:8740",  # never dialled
                             "--enroll-token", TOKEN, "--timezone", "UTC")
    assert code == 0, err
    assert f"{SEED_NAME}; the terminal applies it at its next boot" in out
    code, out, err = run_cli("provision", "seed", str(image), "--role", "dropbox", "--site", "sha-hq",
                             "--device-id", "D", "--central", "http://127.0.0.1:8740", "--enroll-token", TOKEN)  # never dialled
    assert code == 2 and "--device-id: 'D'" in err and "Traceback" not in err
