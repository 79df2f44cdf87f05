import importlib
import io
import json
import logging
import pkgutil

import pytest

from terminal.logs import get_logger, setup_logging
from terminal.pii import mask_address, mask_id_number, mask_name, mask_phone, mask_text

ID_NUMBERS = ["11010519491231002X", "110105194912310029", "810000199408230021", "931101195501010013",
              "110105491231002"]
PHONES = ["13812345678", "+86 138 1234 5678", "008613812345678", "138-1234-5678"]
NAMES = ["张三", "王小明", "欧阳娜娜"]
PACKAGES = ["terminal", "sync", "drivers", "kiosk", "dropbox", "ui", "images"]


def test_masks_keep_what_the_rules_say():
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138 1234 5678") == "138****5678"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧阳**"
    assert mask_name("John Smith") == "J. S."
    assert mask_address("北京市东城区景山前街4号") == "北京市东城区****"


def test_free_text_masking_finds_numbers_but_not_other_digits():
    text = "card 11010519491231002X phone 13812345678 seq 1234567 ts 1700000000123"
    masked = mask_text(text)
    assert "1101**********002X" in masked and "138****5678" in masked
    assert "seq 1234567" in masked
    assert "1700000000123" in masked  # 13 digits, not a phone number


def _import_everything():
    for name in PACKAGES:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            if info.name.endswith("__main__"):
                continue
            importlib.import_module(info.name)


def test_no_logger_of_the_package_writes_personal_data():
    _import_everything()
    ours = sorted(n for n in logging.Logger.manager.loggerDict
                  if n.split(".")[0] in PACKAGES)
    assert ours, "the package creates no loggers?"
    stream = io.StringIO()
    handler = setup_logging("debug", stream)
    try:
        for name in ours:
            log = get_logger(name)
            for i, (idn, phone, person) in enumerate(zip(ID_NUMBERS, PHONES, NAMES * 2)):
                log.info("test.pii", id_number=idn, phone=phone, name=person,
                         note=f"holder {idn} called from {phone}")
                log.warning(f"free text {idn} and {phone}")
                logging.getLogger(name).error("printf style %s / %s", idn, phone)
            try:
                raise ValueError(f"bad card {ID_NUMBERS[0]} for {PHONES[0]}")
            except ValueError:
                log.exception("test.exception")
    finally:
        logging.getLogger().removeHandler(handler)
    output = stream.getvalue()
    lines = output.splitlines()
    assert len(lines) >= len(ours) * 10
    for line in lines:
        record = json.loads(line)
        assert {"ts", "level", "logger", "event"} <= set(record)
    for secret in ID_NUMBERS + ["13812345678", "138 1234 5678", "138-1234-5678"] + NAMES[1:]:
        assert secret not in output, secret
    assert "张三" not in output and "张*" in output


def test_third_party_loggers_are_masked_too():
    stream = io.StringIO()
    handler = setup_logging("info", stream)
    try:
        logging.getLogger("urllib3.connectionpool").warning("GET /u?id=%s", ID_NUMBERS[1])
    finally:
        logging.getLogger().removeHandler(handler)
    assert ID_NUMBERS[1] not in stream.getvalue()


@pytest.mark.parametrize("value", [b"\xff" * 1024, "base64photo"])
def test_photos_are_withheld(value):
    stream = io.StringIO()
    handler = setup_logging("info", stream)
    try:
        get_logger("kiosk.test").info("card", photo=value)
    finally:
        logging.getLogger().removeHandler(handler)
    assert "withheld" in json.loads(stream.getvalue())["photo"]


def test_secrets_are_withheld_but_exit_codes_are_kept():
    stream = io.StringIO()
    handler = setup_logging("info", stream)
    try:
        get_logger("sync.test").info("x", otp="123456", token="tok-abc", secret="s3", code=3)
    finally:
        logging.getLogger().removeHandler(handler)
    record = json.loads(stream.getvalue())
    assert record["code"] == 3
    assert "123456" not in stream.getvalue() and "tok-abc" not in stream.getvalue()
