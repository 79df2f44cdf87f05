"""printer-state-reasons and job states in words a technician understands.

IPP keywords may carry a severity suffix (``-report``, ``-warning``,
``-error``); the words are the same, the suffix only says how bad.

>>> from drivers.printer.reasons import describe, normalise
>>> normalise(["media-empty-report", "none", "toner-low-warning"])
['media-empty', 'toner-low']
>>> describe(["media-empty-error", "media-needed"])
'out of paper (load the tray); waiting for paper to be loaded'
"""

from __future__ import annotations

JOB_STATES = {3: "pending", 4: "held", 5: "processing", 6: "stopped", 7: "canceled", 8: "aborted", 9: "completed"}
FINAL_STATES = (7, 8, 9)

WORDS = {
    "media-empty": "out of paper (load the tray)",
    "media-needed": "waiting for paper to be loaded",
    "media-low": "paper low (refill soon)",
    "media-jam": "paper jam (open the printer and remove the jammed sheet or card)",
    "input-tray-missing": "paper tray missing (push the tray in)",
    "toner-empty": "toner empty (replace the toner cartridge)",
    "toner-low": "toner low (order a cartridge)",
    "marker-supply-empty": "ink or ribbon used up (replace it)",
    "marker-supply-low": "ink or ribbon low (order more)",
    "marker-waste-full": "waste toner full (replace the waste container)",
    "marker-waste-almost-full": "waste toner almost full",
    "cover-open": "cover open (close it)",
    "door-open": "door open (close it)",
    "interlock-open": "interlock open (close every door)",
    "offline-report": "printer offline (check power and network)",
    "offline": "printer offline (check power and network)",
    "shutdown": "printer shut down",
    "paused": "queue paused (resume it in CUPS)",
    "moving-to-paused": "queue pausing",
    "spool-area-full": "printer's job storage full",
    "connecting-to-device": "CUPS cannot reach the printer yet",
    "timed-out": "printer stopped answering",
    "stopped-partly": "printer partly stopped",
    "other": "printer reports a fault (see its panel)",
    "cups-missing-filter": "CUPS has no filter for this file type",
    "cups-waiting-for-job-completed": "CUPS waiting for the printer to finish the job",
}
SUFFIXES = ("-report", "-warning", "-error")


def normalise(reasons) -> list[str]:
    """``reasons`` (an IPP keyword, a list of them or None) as a list without 'none', duplicates and
    the -report/-warning/-error suffixes."""
    if isinstance(reasons, str):
        reasons = [reasons]
    out = []
    for r in reasons or []:
        for suffix in SUFFIXES:
            if r.endswith(suffix):
                r = r[: -len(suffix)]
                break
        if r != "none" and r not in out:
            out.append(r)
    return out


def describe(reasons) -> str:
    """Words for each reason, the ones that stop printing first."""
    found = normalise(reasons)
    stops = blocking(found)
    ordered = stops + [r for r in found if r not in stops]
    words = [WORDS.get(r, r.replace("-", " ")) for r in ordered]
    return "; ".join(words) if words else "no problem reported"


def is_out_of_media(reasons) -> bool:
    """True when ``reasons`` say the paper or cards ran out."""
    return any(r in ("media-empty", "media-needed") for r in normalise(reasons))


def is_cover_open(reasons) -> bool:
    """True when ``reasons`` say a cover or door is open."""
    return any(r in ("cover-open", "door-open", "interlock-open") for r in normalise(reasons))


def blocking(reasons) -> list[str]:
    """The reasons that stop printing (warnings like toner-low do not)."""
    stop = {"media-empty", "media-needed", "media-jam", "input-tray-missing", "toner-empty", "marker-supply-empty",
            "marker-waste-full", "cover-open", "door-open", "interlock-open", "offline-report", "offline",
            "shutdown", "paused", "spool-area-full", "timed-out"}
    return [r for r in normalise(reasons) if r in stop]


describe_reasons = describe  # the name drivers.printer exports it under
