#!/usr/bin/env python3
"""Post-processes the .ts files that `lupdate` writes for conclave-gui.

lupdate 6.4 does not understand C++17 nested namespaces (`namespace conclave::gui {`), so it files
messages under the bare class name while tr() looks them up under `conclave::gui::<Class>`. This
script renames the contexts (all but the free-function context "Health"). With --thai FILE it also
fills Thai translations from a {source: translation} Python dict (the ones already written win).
Usage: fix_ts.py conclave_th.ts [--thai map.py]
"""
import sys
import xml.etree.ElementTree as ET

FREE_CONTEXTS = {"Health"}
PREFIX = "conclave::gui::"


def main():
    path = sys.argv[1]
    thai = {}
    if "--thai" in sys.argv:
        scope = {}
        exec(open(sys.argv[sys.argv.index("--thai") + 1], encoding="utf-8").read(), scope)
        thai = scope["TH"]
    tree = ET.parse(path)
    missing = []
    for ctx in tree.getroot().findall("context"):
        name = ctx.find("name")
        if name.text not in FREE_CONTEXTS and not name.text.startswith(PREFIX):
            name.text = PREFIX + name.text
        if not thai:
            continue
        for msg in ctx.findall("message"):
            src = msg.find("source").text
            tr = msg.find("translation")
            if src not in thai:
                missing.append(src)
                continue
            tr.attrib.pop("type", None)
            if msg.get("numerus") == "yes":
                for nf in list(tr):
                    tr.remove(nf)
                nf = ET.SubElement(tr, "numerusform")
                nf.text = thai[src]
            else:
                tr.text = thai[src]
    tree.write(path, encoding="utf-8", xml_declaration=True)
    with open(path, "r+", encoding="utf-8") as f:
        text = f.read().replace("<?xml version='1.0' encoding='utf-8'?>", '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>', 1)
        f.seek(0)
        f.write(text)
        f.truncate()
    if missing:
        print("untranslated:", *missing, sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()
