"""``terminal provision firstboot``: apply the seed from the boot partition, once, all or nothing.

Run by terminal-firstboot.service at boot with the boot partition mounted
(``--boot``, default /boot/firmware) and the root file system at ``--root``
(default /; tests give a folder).  In order:

1. no seed: nothing to do (the status stays what it was, or "not provisioned");
   the same seed as the one already applied (its SHA-256): it is only removed;
2. the status becomes "provisioning" (not ok) until the end;
3. the seed (read as text a person may have edited: a BOM is fine, another
   encoding is named with file:line and the fix) and the Wi-Fi keyfile are
   validated; a bad seed changes nothing and says why, file:line;
4. the Wi-Fi keyfile is moved into NetworkManager (mode 0600, removed from the
   boot partition), since enrolment needs the network;
5. hostname, hosts, time zone, configuration (``terminal config init``'s
   text with the seed's values) and the role's units are staged beside their
   places (``*.provision-new``);
6. the terminal enrols with central (``terminal sync enroll``'s code), retrying
   while central cannot be reached, up to ``timeout_s``;
7. only then is each staged file renamed into place, the seed (with the token)
   deleted, and the status set to "provisioned".

Every outcome is also written to the boot partition as
:data:`~images.provision.RESULT_NAME`, readable from any laptop.
"""

from __future__ import annotations

import configparser
import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from images.provision import (BOOT_DIR, CONFIG_PATH, RESULT_NAME, SEED_NAME, STATE_DIR, WIFI_NAME,
                              ProvisionError)
from images.provision_seed import SeedInvalid, parse_seed
from images.provision_state import read_status, write_status
from terminal import TerminalError
from terminal.config_init import render_config
from terminal.schema import ROLES
from terminal.textfile import TextFileError, read_text

NM_CONNECTIONS = "etc/NetworkManager/system-connections"
UNIT_DIRS = ("etc/systemd/system", "usr/lib/systemd/system", "lib/systemd/system")
WANTS = "etc/systemd/system/multi-user.target.wants"
STAGED = ".provision-new"


@dataclass
class FirstbootOutcome:
    """What first boot did: ``ok``, the exit code, and lines for the result file."""

    ok: bool
    code: int
    headline: str
    lines: list[str] = field(default_factory=list)


def hostname_for(device_id: str) -> str:
    """A valid host name (RFC 1123 label) from a device id: lower case, '.' and '_' become '-'.

    >>> hostname_for("KSK-SHA-0001"), hostname_for("dbx_sha.02-"), hostname_for("A" * 64)[-3:]
    ('ksk-sha-0001', 'dbx-sha-02', 'aaa')
    """
    name = re.sub(r"[^a-z0-9-]", "-", device_id.lower())[:63].strip("-")
    return name or "terminal"


def firstboot(boot: str | os.PathLike = BOOT_DIR, root: str | os.PathLike = "/", *, state_dir: str = STATE_DIR,
              timeout_s: float = 120.0, clock: Callable[[], float] = time.monotonic) -> FirstbootOutcome:
    """Apply the seed in ``boot`` to the system at ``root`` (see the module doc); return the FirstbootOutcome.

    Exit codes: 0 provisioned or nothing to do, 2 a bad seed, 1 enrolment or another failure.
    Never raises for a bad seed or an unreachable central: the outcome says it.
    """
    boot, root = Path(boot), Path(root)
    state = _under(root, state_dir)
    seed_path = boot / SEED_NAME
    try:
        raw = seed_path.read_bytes()
    except FileNotFoundError:
        if not read_status(state):
            write_status(state, "not_provisioned", "not provisioned: there is no seed on the boot partition; "
                         "write one with 'terminal provision seed' and restart")
        return FirstbootOutcome(True, 0, "nothing to provision (no seed on the boot partition)")
    digest = hashlib.sha256(raw).hexdigest()
    before = read_status(state)
    if before.get("state") == "provisioned" and before.get("seed_sha256") == digest:
        _remove(seed_path)  # applied before; only its removal was lost
        return FirstbootOutcome(True, 0, "this seed was applied already; it has been removed")
    write_status(state, "provisioning", "provisioning in progress", seed_sha256=digest)
    try:
        outcome = _apply(boot, root, state, state_dir, seed_path, digest, timeout_s, clock)
    except SeedInvalid as exc:
        outcome = _failed(state, before, digest, 2, "the seed is invalid", exc.problems + [
            f"Fix {SEED_NAME} on this card (or write a new seed with 'terminal provision seed') and restart."],
            role=_role_named(seed_path))
    except TerminalError as exc:
        outcome = _failed(state, before, digest, exc.exit_code or 1, "provisioning failed", [str(exc)],
                          role=_role_named(seed_path))
    except OSError as exc:
        outcome = _failed(state, before, digest, 1, "provisioning failed",
                          [f"{exc.filename or ''}: {exc.strerror or exc}"], role=_role_named(seed_path))
    _write_result(boot, outcome)
    return outcome


def _apply(boot: Path, root: Path, state: Path, state_dir: str, seed_path: Path, digest: str,
           timeout_s: float, clock) -> FirstbootOutcome:
    wifi_path = boot / WIFI_NAME
    try:
        text = read_text(seed_path)
    except TextFileError as exc:
        raise SeedInvalid([str(exc)]) from None
    installed = (_under(root, NM_CONNECTIONS) / WIFI_NAME).exists()  # by an earlier, failed attempt
    seed = parse_seed(text, seed_path, keyfile=wifi_path.exists() or installed)
    keyfile = _keyfile(wifi_path, seed) if (wifi_path.exists() or seed.wifi_psk) else None
    lines = [f"Device:    {seed.device_id} ({seed.role}) at site {seed.site}"]
    if keyfile is not None:
        _install_keyfile(root, keyfile)
        _remove(wifi_path)
        if seed.wifi_psk:
            _drop_key(seed_path, "wifi_psk")  # in NetworkManager now; not left on the card if enrolment fails
        lines.append(f"Wi-Fi:     {seed.wifi_ssid or 'from ' + WIFI_NAME} installed; its password was "
                     "removed from this card")
    staged = _stage(root, seed, state_dir)
    try:
        answer = _enroll(root, state, seed, state_dir, timeout_s, clock)
    except TerminalError as exc:
        for path in staged:
            _remove(path)
        if "refused the enrolment token" in str(exc):
            _drop_key(seed_path, "enroll_token")
            raise ProvisionError(f"{exc}. The token was removed from {SEED_NAME}: add "
                                 "enroll_token = \"<new token>\" to it and restart") from None
        raise ProvisionError(f"{exc}. Nothing was changed; the seed stays on the card and is tried again "
                             "at the next boot") from None
    for path in staged:
        os.replace(path, str(path)[: -len(STAGED)])
    _remove(seed_path)
    if root == Path("/"):
        _activate(seed.role, hostname_for(seed.device_id))
    reason = f"provisioned as {seed.device_id} ({seed.role}) at site {seed.site}, enrolled with {seed.central}"
    write_status(state, "provisioned", reason, seed_sha256=digest, device_id=seed.device_id, role=seed.role,
                 site=seed.site)
    lines += [f"Central:   {answer}",
              f"Hostname:  {hostname_for(seed.device_id)}",
              f"Time zone: {seed.timezone or 'unchanged'}",
              f"Token:     used, and removed from this card with {SEED_NAME}",
              f"Config:    {CONFIG_PATH}"]
    return FirstbootOutcome(True, 0, "PROVISIONED", lines)


def _failed(state: Path, before: dict, digest: str, code: int, what: str, problems: list[str],
            role: str | None) -> FirstbootOutcome:
    """Record a failed seed. A terminal provisioned earlier keeps that provisioning (all of it is still in
    place: nothing was committed) and goes on working; a new one is "not provisioned"."""
    if before.get("state") == "provisioned":
        kept = {k: before[k] for k in ("device_id", "role", "site", "seed_sha256") if k in before}
        write_status(state, "provisioned", str(before.get("reason", "provisioned")),
                     last_seed_error=f"{what}: {problems[0]}", **kept)
        return FirstbootOutcome(False, code, f"NOT APPLIED ({what})", problems + [
            f"The terminal keeps its earlier provisioning ({before.get('device_id')}, {before.get('role')})."])
    write_status(state, "not_provisioned", f"not provisioned: {what}: {problems[0]}", seed_sha256=digest,
                 **({"role": role} if role else {}))
    return FirstbootOutcome(False, code, f"NOT PROVISIONED ({what})", problems)


def _role_named(seed_path: Path) -> str | None:
    """The role a failed seed names, when it names a valid one (so that role's unit can show the screen)."""
    import tomllib

    try:
        role = tomllib.loads(read_text(seed_path)).get("role")
    except (OSError, TextFileError, tomllib.TOMLDecodeError):
        return None
    return role if role in ROLES else None


def _under(root: Path, absolute: str) -> Path:
    return root / absolute.lstrip("/")


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _write(path: Path, data: str | bytes, mode: int = 0o644) -> Path:
    """Write ``data`` next to ``path`` as the staged file and return the staged path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(path.name + STAGED)
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data.encode() if isinstance(data, str) else data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(staged, mode)
    return staged


def _keyfile(path: Path, seed) -> bytes:
    """The keyfile to install: the one on the card (checked), or one made from the seed's ssid and psk."""
    if not path.exists():
        from images.provision_seed import wifi_keyfile

        return wifi_keyfile(seed.wifi_ssid, seed.wifi_psk).encode()
    try:
        text = read_text(path)
    except TextFileError as exc:
        raise SeedInvalid([str(exc)]) from None
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise SeedInvalid([f"{path}: not a NetworkManager keyfile ({str(exc).splitlines()[0]})"]) from None
    if parser.get("connection", "type", fallback="") not in ("wifi", "802-11-wireless") \
            or not parser.get("wifi", "ssid", fallback=""):
        raise SeedInvalid([f"{path}: a Wi-Fi keyfile needs [connection] type=wifi and [wifi] ssid=NAME; "
                           "write it again with 'terminal provision seed --wifi-ssid ... --wifi-psk ...'"])
    return text.encode()


def _install_keyfile(root: Path, data: bytes) -> None:
    target = _under(root, NM_CONNECTIONS) / WIFI_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(_write(target, data, 0o600), target)  # NetworkManager ignores keyfiles others can read
    if root == Path("/") and shutil.which("nmcli"):
        subprocess.run(["nmcli", "connection", "reload"], capture_output=True, timeout=30)


def _stage(root: Path, seed, state_dir: str) -> list[Path]:
    """Stage every file the seed sets; return the staged paths (renamed into place only after enrolment)."""
    host = hostname_for(seed.device_id)
    staged = [_write(_under(root, "etc/hostname"), host + "\n")]
    hosts = _under(root, "etc/hosts")
    old = hosts.read_text() if hosts.exists() else "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n"
    kept = [line for line in old.splitlines() if not line.startswith("127.0.1.1")]
    staged.append(_write(hosts, "\n".join(kept + [f"127.0.1.1\t{host}"]) + "\n"))
    config = render_config(seed.role, state_dir=state_dir, device_id=seed.device_id, site=seed.site)
    staged.append(_write(_under(root, CONFIG_PATH), config))
    if seed.timezone:
        staged.append(_write(_under(root, "etc/timezone"), seed.timezone + "\n"))
        link = _under(root, "etc/localtime")
        link_staged = link.with_name(link.name + STAGED)
        _remove(link_staged)
        os.symlink(f"/usr/share/zoneinfo/{seed.timezone}", link_staged)
        staged.append(link_staged)
    return staged + _stage_units(root, seed.role)


def _stage_units(root: Path, role: str) -> list[Path]:
    """Enable the role's unit and terminal-sync (links in multi-user.target.wants), disable the other role's."""
    wants = _under(root, WANTS)
    staged = []
    for name in [f"terminal-{r}.service" for r in ROLES] + ["terminal-sync.service"]:
        link = wants / name
        unit = next((f"/{d}/{name}" for d in UNIT_DIRS if _under(root, d + "/" + name).exists()), None)
        wanted = unit is not None and (name == f"terminal-{role}.service" or name == "terminal-sync.service")
        if not wanted:
            if link.is_symlink() and name != "terminal-sync.service":
                _remove(link)  # the other role's service stops being started (re-provisioning)
            continue
        wants.mkdir(parents=True, exist_ok=True)
        link_staged = link.with_name(name + STAGED)
        _remove(link_staged)
        os.symlink(unit, link_staged)
        staged.append(link_staged)
    return staged


def _enroll(root: Path, state: Path, seed, state_dir: str, timeout_s: float, clock) -> str:
    """Enrol the store under ``state`` with the seed's central, as ``terminal sync enroll`` does.

    Waits (doubling pauses, up to ``timeout_s`` seconds in all) only while central
    cannot be reached: the network may still be coming up.  Returns the line
    ``terminal sync enroll`` prints; raises TerminalError (a refused token at once).
    """
    from sync.client import CentralUnreachable
    from sync.enrolment import enroll_store
    from sync.store import open_store
    from terminal.migrations import all_migrations

    state.mkdir(parents=True, exist_ok=True, mode=0o700)
    deadline = clock() + timeout_s
    pause = 1.0
    while True:
        try:
            with open_store(state / "terminal.db", all_migrations()) as store:
                answer = enroll_store(store, seed.device_id, seed.central, seed.enroll_token, timeout_s=15.0)
            return f"enrolled {seed.device_id} with {answer['central_url']}; the secret is kept in the local store"
        except CentralUnreachable:
            if clock() + pause > deadline:
                raise
        time.sleep(pause)  # backoff between network attempts, not a stand-in for a condition
        pause = min(pause * 2, 15.0)


def _activate(role: str, host: str) -> None:
    """On the running system: the new host name now, and the role's units started this boot (best effort;
    links made in multi-user.target.wants during boot are only read at the next daemon-reload)."""
    other = [f"terminal-{r}.service" for r in ROLES if r != role]
    for argv in (["hostname", host], ["systemctl", "daemon-reload"],
                 ["systemctl", "stop", "--no-block", *other],
                 ["systemctl", "start", "--no-block", f"terminal-{role}.service", "terminal-sync.service"]):
        if shutil.which(argv[0]):
            subprocess.run(argv, capture_output=True, timeout=60)


def _drop_key(seed_path: Path, key: str) -> None:
    """Remove a secret's line (the spent token, the Wi-Fi password) from the seed, keeping the other lines."""
    try:
        text = read_text(seed_path)
    except (OSError, TextFileError):
        return
    kept = [line for line in text.splitlines() if not re.match(rf"\s*{key}\s*=", line)]
    seed_path.write_text("\n".join(kept) + "\n", encoding="utf-8")


def _write_result(boot: Path, outcome: FirstbootOutcome) -> None:
    """The result file on the boot partition, CRLF so that any editor shows it."""
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    lines = ["service-terminals provisioning result", "", f"When:      {when}", f"Outcome:   {outcome.headline}", ""]
    lines += outcome.lines
    if not outcome.ok:
        lines += ["", "The terminal shows 'not provisioned' until a seed is applied."]
    try:
        (boot / RESULT_NAME).write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    except OSError:
        pass  # a read-only boot partition: the status file and the journal still say it
