"""Opening a saved page in headless Chromium (Playwright for Python driving the system's
browser: Debian's ``chromium`` package, never a downloaded one), e.g. for the README picture.

>>> from viz.explorer.browser import CHROMIUM_FLAGS
>>> "--headless" in CHROMIUM_FLAGS
True
"""

from __future__ import annotations

import shutil
from pathlib import Path

__all__ = ["CHROMIUM_FLAGS", "chromium_path", "screenshot"]

#: a quiet headless browser: no GPU, no sandbox (containers), no background traffic
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run")


def chromium_path() -> str | None:
    """The system's Chromium, or None when it is not installed."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def screenshot(page_path, png_path, keys=(), width=1280, height=720) -> Path:
    """Open ``page_path``, press ``keys`` (e.g. ``["ArrowRight"] * 5``), save a PNG.

    Raises:
        RuntimeError: Playwright or Chromium is missing (the message says how to install).
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise RuntimeError("screenshot: needs Playwright for Python (pip install playwright) "
                           "and Chromium (apt-get install chromium)") from None
    executable = chromium_path()
    if executable is None:
        raise RuntimeError("screenshot: no Chromium found (apt-get install chromium)")
    png_path = Path(png_path)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable,
                                             args=list(CHROMIUM_FLAGS))
        try:
            tab = browser.new_page(viewport={"width": width, "height": height})
            tab.goto(Path(page_path).resolve().as_uri())
            tab.wait_for_selector("body[data-ready=true]")
            for key in keys:
                tab.keyboard.press(key)
            tab.screenshot(path=str(png_path))
        finally:
            browser.close()
    return png_path
