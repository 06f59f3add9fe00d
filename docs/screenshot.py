"""Regenerate docs/dashboard.png: seed a throw-away database, serve it, screenshot the dashboard.

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
from tracker.services import demo as demo_module  # noqa: E402
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
    out = os.path.join(ROOT, "docs", "dashboard.png")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("TRACKER_TEST_CHROMIUM", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1366, "height": 1000}, locale="zh-CN")
        page.goto(f"{base}/login")
        page.fill("input[name=username]", "bureau")
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/dashboard/**")
        page.screenshot(path=out)
        browser.close()
    server.shutdown()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
