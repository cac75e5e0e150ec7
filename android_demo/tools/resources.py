"""What the Android Gradle plugin generates from ``res/``, as compile-only Java: ``R`` and the view-binding classes.

``R.string``/``R.layout``/``R.id``/``R.style`` come from ``res/values/*.xml`` and the layouts; each layout
``activity_main.xml`` gives ``databinding.ActivityMainBinding`` with one field per view id, typed by the view's tag
(``TextView`` -> ``android.widget.TextView``, a dotted tag as written), ``getRoot()`` typed by the root element, and
``inflate(LayoutInflater)`` / ``bind(View)``, as AGP's view binding does. The Kotlin compiler then checks the app's
``binding.status``, ``R.string.threads`` ... against the real resources: a renamed id or string fails the compile.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

ANDROID = "{http://schemas.android.com/apk/res/android}"
FRAMEWORK_PACKAGES = ("android.widget.", "android.view.", "android.webkit.")
FRAMEWORK_VIEWS = {"View": "android.view.View", "ViewStub": "android.view.ViewStub", "SurfaceView": "android.view.SurfaceView",
                   "TextureView": "android.view.TextureView", "WebView": "android.webkit.WebView"}


def _view_class(tag: str) -> str:
    return tag if "." in tag else FRAMEWORK_VIEWS.get(tag, "android.widget." + tag)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def generate(res: Path, namespace: str, out: Path) -> list[Path]:
    """Write R.java and the binding classes of ``res`` (package ``namespace``) under ``out``; returns the files."""
    names: dict[str, set[str]] = {"string": set(), "layout": set(), "id": set(), "style": set()}
    for values in sorted((res / "values").glob("*.xml")):
        for item in ET.parse(values).getroot():
            if item.tag in {"string", "style"}:
                names[item.tag].add(item.attrib["name"].replace(".", "_"))
    bindings = []
    for layout in sorted((res / "layout").glob("*.xml")):
        names["layout"].add(layout.stem)
        root = ET.parse(layout).getroot()
        views = []
        for element in root.iter():
            view_id = element.attrib.get(f"{ANDROID}id", "")
            match = re.fullmatch(r"@\+?id/(\w+)", view_id)
            if match:
                names["id"].add(match.group(1))
                views.append((_camel(match.group(1)), _view_class(element.tag)))
        bindings.append((layout.stem, _view_class(root.tag), views))
    package_dir = out.joinpath(*namespace.split("."))
    package_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"package {namespace};\n\n", "/** Generated from res/ (android_demo/tools/resources.py), as AGP does. */\n",
             "public final class R {\n"]
    for kind, members in names.items():
        lines.append(f"    public static final class {kind} {{\n")
        lines += [f"        public static final int {member} = {0x7f000000 + number};\n"
                  for number, member in enumerate(sorted(members))]
        lines.append("    }\n")
    lines.append("}\n")
    files = [package_dir / "R.java"]
    files[0].write_text("".join(lines), encoding="utf-8")
    (package_dir / "databinding").mkdir(exist_ok=True)
    for layout, root_class, views in bindings:
        name = "".join(part.capitalize() for part in layout.split("_")) + "Binding"
        body = [f"package {namespace}.databinding;\n\n",
                f"/** View binding of res/layout/{layout}.xml (generated as AGP's viewBinding does). */\n",
                f"public final class {name} {{\n"]
        body += [f"    public final {view_class} {field};\n" for field, view_class in views]
        body += [f"    private {name}() {{ throw new RuntimeException(\"compile-only\"); }}\n",
                 f"    public {root_class} getRoot() {{ throw new RuntimeException(\"compile-only\"); }}\n",
                 f"    public static {name} inflate(android.view.LayoutInflater inflater) {{ throw new RuntimeException(); }}\n",
                 f"    public static {name} bind(android.view.View rootView) {{ throw new RuntimeException(); }}\n", "}\n"]
        files.append(package_dir / "databinding" / f"{name}.java")
        files[-1].write_text("".join(body), encoding="utf-8")
    return files
