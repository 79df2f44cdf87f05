"""Every screen and message, in both languages, at 1280x800, 1920x1080 and 800x480: nothing a person
would see wrong (untranslated ids, text cut short or off screen, texts over each other, small touch
targets), and no QML warning."""

from __future__ import annotations

import pytest

from kiosk.messages import MESSAGE_KEYS, SCREENS
from ui.bridge import PAGES
from ui.fixtures import FixedFlow, gallery
from ui.layout import problems, texts

# Touch targets: >= 90 px at 1280x800 (the issue); they scale with the window, and on a 7" 800x480
# panel 64 px is ~10 mm, above the 9 mm a fingertip needs.
SIZES = {(1280, 800): 90, (1920, 1080): 90, (800, 480): 64}


@pytest.fixture(scope="module")
def windows(qapp):
    from ui.app import KioskWindow

    made = {}
    for size in SIZES:
        flow = FixedFlow()
        window = KioskWindow(flow, size=size, tick_s=None)
        window.show()
        made[size] = (flow, window)
    yield made
    for _, window in made.values():
        window.close()


def test_every_screen_of_the_flow_has_a_page():
    assert set(SCREENS) == set(PAGES)


@pytest.mark.parametrize("size", list(SIZES), ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_nothing_wrong_on_any_screen(windows, size, lang):
    flow, window = windows[size]
    found, seen = [], 0
    for name, view in gallery(lang):
        flow.show(view)
        window.grab()
        seen += len(texts(window.root()))
        found += [f"{name}: {p}" for p in problems(window.root(), size, min_target=SIZES[size],
                                                      ids=set(MESSAGE_KEYS))]
    assert found == []
    assert window.warnings == []
    assert seen > 3 * len(gallery(lang))        # the check looked at what is there


def test_the_gallery_covers_every_message_key():
    keys = {view["text"] for _, view in gallery("zh")}
    assert keys == {k for k in MESSAGE_KEYS if k.split(".")[0] in SCREENS}


def test_the_checker_sees_an_untranslated_string(windows):
    flow, window = windows[(1280, 800)]
    flow.show({"screen": "unknown_person", "lang": "zh", "text": "unknown_person.no_such_reason"})
    window.grab()
    found = problems(window.root(), (1280, 800), min_target=90, ids=set(MESSAGE_KEYS))
    assert "untranslated text 'unknown_person.no_such_reason'" in found


def test_the_checker_sees_text_cut_short_and_overlapping(windows):
    flow, window = windows[(800, 480)]
    # a masked name far longer than any real one pushes the menu's tiles off the bottom of the window
    menu = dict(gallery("en"))["menu"]
    flow.show({**menu, "masked_name": "W" * 300})
    window.grab()
    found = problems(window.root(), (800, 480), min_target=64)
    assert any(p.startswith(("texts overlap", "text outside")) for p in found), found


def test_the_whole_view_model_is_emptied_from_the_screen_between_visits(windows):
    flow, window = windows[(1280, 800)]
    menu = dict(gallery("zh"))["menu"]
    flow.show(menu)
    window.grab()
    assert any("张*" in t for _, t in texts(window.root()))
    flow.show({"screen": "attract", "lang": "zh", "text": "attract"})
    window.grab()
    assert not any("张*" in t for _, t in texts(window.root()))
    assert "masked_name" not in window.vm.current()
