"""The demo's drop-box visitors (dropbox/visitor.py): codes held up one at a time, refusals by name."""

from __future__ import annotations

import threading

import pytest

from dropbox.visitor import main, show, visit


def test_a_code_is_held_up_alone_and_taken_away(tmp_path):
    from dropbox.cli import read_grey
    from dropbox.qr import decode

    camera = tmp_path / "camera"
    camera.mkdir()
    show(camera, "RF1.FIRST")
    show(camera, "RF1.SECOND")
    (picture,) = camera.glob("qr-*.png")
    assert [d.payload for d in decode(read_grey(picture))] == ["RF1.SECOND"]
    show(camera, None)
    assert list(camera.glob("qr-*.png")) == []


def test_visit_stops_when_asked_and_leaves_nothing_in_view(tmp_path):
    camera = tmp_path / "camera"
    camera.mkdir()
    stop = threading.Event()
    stop.set()
    visit(camera, ["RF1.A", "RC1.B"], show_s=0.01, gap_s=0.01, stop=stop)
    assert list(camera.glob("qr-*.png")) == []


@pytest.mark.parametrize("content", [None, "not json", '{"forms": []}'])
def test_a_bad_visitor_file_is_a_usage_error(tmp_path, capsys, content):
    codes = tmp_path / "visitors.json"
    if content is not None:
        codes.write_text(content)
    with pytest.raises(SystemExit) as exit:
        main(["--camera", str(tmp_path), "--codes", str(codes)])
    assert exit.value.code == 2 and "not the demo's visitor file" in capsys.readouterr().err
