"""The provisioning seed: its schema, its text, and writing it into a card's or image's boot partition.

The seed is a small TOML file, :data:`~images.provision.SEED_NAME`, in the FAT
boot partition; Wi-Fi comes as a NetworkManager keyfile beside it
(:data:`~images.provision.WIFI_NAME`), so the password is in one file that
first boot moves into NetworkManager and deletes.  Every value is checked
against :data:`SEED` (terminal.settings_model, the device id and site forms of
terminal.schema) before anything is written:

    >>> text, wifi = render_seed({"role": "kiosk", "site": "sha-hq", "device_id": "KSK-SHA-0001",
    ...     "central": "https://central.example:8740", "enroll_token": "enr_" + "a" * 32})
    >>> parse_seed(text).device_id, wifi
    ('KSK-SHA-0001', None)
    >>> render_seed({"role": "kiosk", "site": "sha-hq", "device_id": "K",
    ...     "central": "ftp://x", "enroll_token": "x"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    images.provision_seed.SeedInvalid: 3 problems: --device-id: 'K' does not match ...
"""

from __future__ import annotations

import difflib
import json
import os
import re
import stat
import time
import uuid
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

from images.fat_mtools import FatVolume
from images.provision import RESULT_NAME, SEED_NAME, WIFI_NAME, ProvisionError
from images.provision_image import fat_partition
from images.provision_target import SystemView, check_disk, refuse
from terminal.config import ConfigError, validate_config
from terminal.schema import ROLES, TERMINAL
from terminal.settings_model import Section, Setting

_ID, _SITE = TERMINAL.settings["device_id"], TERMINAL.settings["site"]
URL_FORM = r"https?://([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?"
TOKEN_FORM = r"enr_[A-Za-z0-9_-]{16,200}"  # what 'terminal central token' prints


def _cross_checks(values: dict) -> list[tuple[str, str]]:
    """Rules across keys and against the system's data: time zone known, Wi-Fi complete, port in range."""
    problems = []
    tz = values.get("timezone", "")
    if tz and tz not in _zones():
        close = difflib.get_close_matches(tz, sorted(_zones()), n=1)
        problems.append(("timezone", f"{tz!r} is not a known time zone"
                         + (f"; did you mean {close[0]!r}?" if close else " (such as 'Asia/Shanghai' or 'UTC')")))
    port = re.search(r":([0-9]{1,5})(/|$)", values.get("central", "").split("//", 1)[-1])
    if port and not 0 < int(port.group(1)) < 65536:
        problems.append(("central", f"port {port.group(1)} is not 1-65535"))
    ssid, psk = values.get("wifi_ssid", ""), values.get("wifi_psk", "")
    if ssid and len(ssid.encode()) > 32:
        problems.append(("wifi_ssid", f"{ssid!r} is {len(ssid.encode())} bytes long; a Wi-Fi name has at most 32"))
    if psk and not (8 <= len(psk) <= 63 or re.fullmatch(r"[0-9A-Fa-f]{64}", psk)):
        problems.append(("wifi_psk", f"a WPA password has 8 to 63 characters (or is 64 hex digits); this one has {len(psk)}"))
    if ssid and not psk and not values.get("_keyfile"):
        problems.append(("wifi_psk", "give the Wi-Fi password too (open Wi-Fi networks are not supported)"))
    if psk and not ssid:
        problems.append(("wifi_ssid", "give the Wi-Fi name (SSID) the password is for"))
    return problems


def _zones() -> set[str]:
    return zoneinfo.available_timezones()


SEED = Section(
    "service-terminals provisioning seed: terminal-firstboot applies it once at the next boot.",
    {
        "role": Setting(str, "what this terminal is", choices=ROLES),
        "site": Setting(str, _SITE.doc, pattern=_SITE.pattern),
        "device_id": Setting(str, _ID.doc, pattern=_ID.pattern),
        "central": Setting(str, "central's base URL (http:// or https://, host, optional :port)", pattern=URL_FORM),
        "enroll_token": Setting(str, "one-time enrolment token from 'terminal central token'", pattern=TOKEN_FORM),
        "timezone": Setting(str, "IANA time zone such as Asia/Shanghai; empty: leave the image's", default=""),
        # Printable, no control characters: the name goes into a NetworkManager keyfile line.
        "wifi_ssid": Setting(str, "Wi-Fi network name (SSID); empty: wired network only", default="",
                             pattern=r"[^\x00-\x1f\x7f]{1,32}|"),
        "wifi_psk": Setting(str, "Wi-Fi password (WPA2/WPA3-personal); normally in the keyfile beside the seed",
                            default="", pattern=r"[\x20-\x7e]*"),
    },
    optional=False,
    check=_cross_checks,
)

_OPTION = {"enroll_token": "--enroll-token", "wifi_ssid": "--wifi-ssid", "wifi_psk": "--wifi-psk",
           "device_id": "--device-id"}


class SeedInvalid(ProvisionError):
    """A seed value is refused (exit 2); ``problems`` lists each, naming the option or file:line."""

    exit_code = 2

    def __init__(self, problems: list[str]):
        self.problems = problems
        head = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}: " if len(problems) > 1 else ""
        super().__init__(head + "; ".join(problems))


def parse_seed(text: str, path: str | os.PathLike = "<seed>", *, keyfile: bool = False):
    """The validated seed (a terminal.config.Config) from TOML ``text``; SeedInvalid naming file:line.

    ``keyfile`` says a Wi-Fi keyfile lies beside the seed, so no password is needed in it.
    """
    try:
        return validate_config(text + ("\n_keyfile = true\n" if keyfile else ""), schema=_WITH_MARK, path=path)
    except ConfigError as exc:
        raise SeedInvalid(exc.problems) from None


# The "a keyfile is present" mark travels through validation as a key the person never writes.
_WITH_MARK = Section(SEED.doc, {**SEED.settings, "_keyfile": Setting(bool, "internal", default=False)},
                     optional=False, check=_cross_checks)


def render_seed(values: dict) -> tuple[str, str | None]:
    """(seed TOML text, keyfile text or None) for ``values`` (keys of :data:`SEED`), after validating them.

    Raises SeedInvalid naming each bad value by its command-line option.  The password
    goes only into the keyfile; the seed keeps the network's name.
    """
    given = {k: v for k, v in values.items() if v not in (None, "")}
    check = "\n".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in given.items())
    try:
        validate_config(check, schema=SEED, path="<values>")
    except ConfigError as exc:
        raise SeedInvalid([_as_option(p) for p in exc.problems]) from None
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [f"# service-terminals provisioning seed, written by 'terminal provision seed' on {when}.",
             "# terminal-firstboot applies it once at the next boot, then deletes it (the token with it)",
             f"# and writes {RESULT_NAME} beside it. To provision again, write a new seed.",
             "# UTF-8 text; check it with: terminal provision seed --help"]
    for key in SEED.settings:
        if key in given and key != "wifi_psk":
            lines.append(f"{key} = {json.dumps(given[key], ensure_ascii=False)}")
    wifi = wifi_keyfile(given["wifi_ssid"], given["wifi_psk"]) if given.get("wifi_ssid") else None
    return "\n".join(lines) + "\n", wifi


def _as_option(problem: str) -> str:
    """'<values>:3: device_id: ...' -> '--device-id: ...' (the person typed options, not a file)."""
    m = re.match(r"<values>(?::[0-9]+)?: ([a-z_]+): (.*)", problem, re.S)
    if not m:
        return problem.replace("<values>: ", "")
    key, text = m.group(1), m.group(2)
    if key in _FORM_HINT and "does not match the form" in text:
        text = text.split(" does not match")[0] + " is not " + _FORM_HINT[key]
    return f"{_OPTION.get(key, '--' + key.replace('_', '-'))}: {text}"


# Said instead of the regular expression, for the forms a person cannot read off a pattern.
_FORM_HINT = {"central": "a URL such as https://central.example:8740 (http:// or https://, a host, an optional :port)",
              "enroll_token": "a token as 'terminal central token' prints it (enr_ and at least 16 letters, "
                              "digits, - or _)"}


def _keyfile_escape(value: str) -> str:
    # GLib keyfile string escapes: backslash, and spaces at the ends (which the reader would strip).
    value = value.replace("\\", "\\\\")
    if value.startswith(" "):
        value = "\\s" + value[1:]
    if value.endswith(" ") and len(value) > 1:
        value = value[:-1] + "\\s"
    return value


def wifi_keyfile(ssid: str, psk: str) -> str:
    """A NetworkManager keyfile (``.nmconnection``) for WPA-personal network ``ssid`` with password ``psk``."""
    return "\n".join([
        "[connection]", "id=terminal-wifi", f"uuid={uuid.uuid4()}", "type=wifi", "autoconnect=true", "",
        "[wifi]", "mode=infrastructure", f"ssid={_keyfile_escape(ssid)}", "",
        "[wifi-security]", "key-mgmt=wpa-psk", f"psk={_keyfile_escape(psk)}", "",
        "[ipv4]", "method=auto", "", "[ipv6]", "addr-gen-mode=default", "method=auto", "",
    ])


@dataclass
class SeedWritten:
    """Where the seed went: the target, the FAT partition's byte offset and the files written."""

    target: str
    offset: int
    files: list[str]


def write_seed(target: str | os.PathLike, values: dict, *, force: bool = False,
               view: SystemView = SystemView()) -> SeedWritten:
    """Validate ``values`` and write the seed (and Wi-Fi keyfile) into ``target``'s FAT boot partition.

    ``target`` is an image file or a whole disk (a card in a reader); a disk is refused
    when mounted, a system disk or not removable, unless ``force``.  The keyfile goes
    first and the seed last, so a seed is never on the card without its keyfile; a stale
    keyfile and result from an earlier seed are removed.  Raises SeedInvalid (exit 2) or
    ProvisionError.
    """
    seed_text, wifi = render_seed(values)
    target = Path(target)
    try:
        st = os.stat(target)
    except OSError as exc:
        raise ProvisionError(f"{target}: {exc.strerror}; name an image file or a card such as /dev/sdb") from None
    sector = 512
    if stat.S_ISBLK(st.st_mode):
        check = check_disk((os.major(st.st_rdev), os.minor(st.st_rdev)), view=view)
        refuse(target, check, force)
        sector = _logical_sector(view, st) or 512
    elif not stat.S_ISREG(st.st_mode):
        raise ProvisionError(f"{target} is neither an image file nor a disk")
    try:
        with open(target, "rb") as fh:
            offset, _ = fat_partition(fh, str(target), sector)
    except PermissionError:
        raise ProvisionError(f"cannot read {target}: run as root or with sudo") from None
    volume = FatVolume(target, offset)
    written = []
    volume.delete(RESULT_NAME)
    if wifi:
        volume.write(WIFI_NAME, wifi.encode())
        written.append(WIFI_NAME)
    else:
        volume.delete(WIFI_NAME)
    volume.write(SEED_NAME, seed_text.encode())
    written.append(SEED_NAME)
    return SeedWritten(str(target), offset, written)


def _logical_sector(view: SystemView, st: os.stat_result) -> int:
    path = view.sys / "dev" / "block" / f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}" / "queue" / "logical_block_size"
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return 0
