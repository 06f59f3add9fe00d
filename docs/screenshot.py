"""Regenerate docs/dashboard.png (1366 px) and docs/dashboard-phone.png (390 px): seed a
throw-away database, serve it, screenshot the dashboard as a bureau user.

    .venv/bin/python docs/screenshot.py
"""
import os
import sys
import tempfile
import threading

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tracker import create_app, migrate  # noqa: E402
from tracker.demo import seed as demo_module  # noqa: E402
from tracker import jobs  # noqa: E402
from tracker import clock  # noqa: E402


def main():
    tmp = tempfile.mkdtemp(prefix="tracker-shot-")
    password = "screenshot-demo"
    os.environ["TRACKER_SEED_PASSWORD"] = password
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/demo.db"}, instance_path=tmp)
    with app.app_context():
        migrate.upgrade()
        demo_module.run(echo=lambda *a, **k: None)
    jobs.staleness_scan(app, clock.today())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("TRACKER_TEST_CHROMIUM", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for name, viewport in (("dashboard.png", {"width": 1366, "height": 900}),
                               ("dashboard-phone.png", {"width": 390, "height": 844})):
            shoot(browser, base, password, viewport, os.path.join(ROOT, "docs", name))
        browser.close()
    server.shutdown()


def shoot(browser, base, password, viewport, out):
    page = browser.new_page(viewport=viewport, locale="zh-CN")
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "bureau")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard/**")
    page.screenshot(path=out)
    page.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
