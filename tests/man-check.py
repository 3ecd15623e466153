#!/usr/bin/env python3
"""The README's reference, the man pages and the code, held to each other.

- every `### vmtrust AREA ...` synopsis of the README is in vmtrust-AREA(1)
  (a heading that lists verbs: each has a section there);
- every option of the README's option tables is in the matching page, and
  every option a page describes is in the README's sections of its area;
- every long option the CLI's option tables accept (tools/*.c) is described
  in the area's page, and every option a page describes is one the CLI has;
- every key the policy parser accepts (policy/policy.c) is in vmtrust-policy(5).
Usage: man-check.py SOURCE_DIR
"""
import glob, os, re, sys

src = sys.argv[1]
failures = []


def fail(msg):
    failures.append(msg)


def read(p):
    with open(os.path.join(src, p), encoding="utf-8") as f:
        return f.read()


def unscd(text):
    """scdoc source to the words a reader sees: formatting and escapes gone."""
    text = re.sub(r"\\(.)", r"\1", text)
    return text.replace("*", "").replace("_", " ")


OPT = r"--?[a-zA-Z][a-zA-Z0-9-]*"


def page_terms(scd):
    """Options a page describes: its definition terms (*-o*, *--output* _ARG_),
    each a tuple of the names of one option."""
    return [tuple(re.findall(r"\*(" + OPT + r")\*", line))
            for line in scd.splitlines() if line.startswith("*-")]


def page_options(scd):
    return {o for t in page_terms(scd) for o in t}


readme = read("README.md")
areas = ["attest", "image", "disk", "policy", "host", "hook"]
pages = {a: read(f"man/vmtrust-{a}.1.scd") for a in areas}
pages["vmtrust"] = read("man/vmtrust.1.scd")

# README sections: '## Usage' is vmtrust(1), '### vmtrust AREA' is AREA's page.
sections = {}
cur = None
for line in readme.splitlines():
    m = re.match(r"^### vmtrust (\w+)", line)
    if m:
        cur = m.group(1)
    elif line.startswith("## "):
        cur = "vmtrust" if line.strip() == "## Usage" else None
    if cur:
        sections.setdefault(cur, []).append(line)
if set(sections) != set(pages):
    fail(f"README areas {sorted(sections)} are not the man pages' {sorted(pages)}")

for area, lines in sections.items():
    scd = pages.get(area, "")
    plain = unscd(scd)
    described = page_options(scd)
    text = "\n".join(lines)
    for line in lines:
        m = re.match(r"^### (vmtrust .*)$", line)
        if not m:
            continue
        head = m.group(1)
        if re.match(r"^vmtrust \w+ [\w-]+(, | / )", head):
            for verb in re.findall(r"[\w-]+", head.split(" ", 2)[2].split(", and ")[0]):
                if f"\n## {verb}\n" not in scd:
                    fail(f"vmtrust-{area}(1): no section for '{verb}' of README '### {head}'")
        elif head not in plain:
            fail(f"vmtrust-{area}(1): README synopsis '{head}' missing")
    for line in lines:
        if line.startswith("| `-"):
            cell = line.split("|")[1]
            for opt in re.findall(OPT, cell):
                if opt not in described:
                    fail(f"{'vmtrust' if area == 'vmtrust' else 'vmtrust-' + area}(1): README option "
                         f"'{opt}' not described")
    for names in sorted(set(page_terms(scd))):
        if not any(re.search(r"(?<![\w-])" + re.escape(o) + r"(?![\w-])", text) for o in names):
            fail(f"README {area}: option '{' / '.join(names)}' of the man page not in the README")

# The CLI's own option tables, per area.
def cli_options(files):
    opts = set()
    for f in files:
        c = read(f)
        opts.update("--" + o for o in re.findall(
            r'\{\s*"([a-z0-9-]+)",\s*(?:no|required|optional)_argument', c))
        if "CLI_KEY_OPTIONS" in c:      # the signing-key options, defined in cli.h
            m = re.search(r'#define CLI_KEY_OPTIONS((?:.*\\\n)*.*)', read("tools/cli.h"))
            opts.update("--" + o for o in re.findall(
                r'\{\s*"([a-z0-9-]+)",\s*(?:no|required|optional)_argument', m.group(1)))
    return opts

files = {a: sorted(os.path.relpath(p, src) for p in glob.glob(os.path.join(src, f"tools/cmd-{a}*.c")))
         for a in areas}
for area, fs in list(files.items()) + [("vmtrust", None)]:
    if fs is None:      # the global options: compared by name in vmtrust.c
        have = set(re.findall(r'"(--[a-z][a-z0-9-]*)"', read("tools/vmtrust.c")))
    elif not fs:
        fail(f"no CLI source for area '{area}'")
        continue
    else:
        have = cli_options(fs)
    described = {o for o in page_options(pages[area]) if o.startswith("--")}
    for o in sorted(have - described):
        fail(f"{'vmtrust' if area == 'vmtrust' else 'vmtrust-' + area}(1): CLI option '{o}' not described")
    for o in sorted(described - have):
        fail(f"{'vmtrust' if area == 'vmtrust' else 'vmtrust-' + area}(1): '{o}' is no option of the CLI")

# Policy keys: every allow-list of keys in the parser.
policy_c = read("policy/policy.c")
keys = set()
for body in re.findall(r"static const char \*const \w*keys\[\]\s*=\s*\{(.*?)\};", policy_c, re.S):
    keys.update(re.findall(r'"([a-z_]+)"', body))
if len(keys) < 20:
    fail(f"policy/policy.c: only {len(keys)} keys found: the key lists changed form")
p5 = read("man/vmtrust-policy.5.scd")
p5_words = set(re.findall(r"\*([a-z_]+)\*", p5.replace("\\_", "_")))
for k in sorted(keys - p5_words):
    fail(f"vmtrust-policy(5): policy key '{k}' not described")

for f in failures:
    print(f"man-check: {f}", file=sys.stderr)
print(f"man-check: {len(failures)} differences; {len(keys)} policy keys, "
      f"{sum(len(page_options(p)) for p in pages.values())} options described")
sys.exit(1 if failures else 0)
